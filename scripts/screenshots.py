"""Write docs/screenshots/{incidents,incident,entity}.png by running the browser tests with screenshots on.

Needs Debian's chromium at /usr/bin/chromium. Usage: .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    os.environ["THREATLEDGER_SCREENSHOTS"] = "1"
    return int(
        pytest.main([str(ROOT / "tests" / "web" / "test_browser.py"), "-q", "-k", "list_filter or entity"])
    )


if __name__ == "__main__":
    sys.exit(main())
