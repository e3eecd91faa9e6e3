"""threatledger.normalise."""
