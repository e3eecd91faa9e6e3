"""Fuzz the indicators target: see normalise_fuzz.py."""

import sys

from normalise_fuzz import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv, "indicators"))
