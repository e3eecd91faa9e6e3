"""threatledger.store."""
