"""threatledger.sources."""
