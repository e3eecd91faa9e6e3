"""threatledger.export."""
