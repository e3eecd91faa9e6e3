"""threatledger: a source-attributed knowledge base of cyber incidents."""

__version__ = "0.1.0"
