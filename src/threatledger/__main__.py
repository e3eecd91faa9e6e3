"""`python -m threatledger` runs the command line."""

from threatledger.cli import main

main()
