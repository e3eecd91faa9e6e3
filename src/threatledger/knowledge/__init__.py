"""threatledger.knowledge."""
