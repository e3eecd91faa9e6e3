"""threatledger.resolve."""
