"""Make docs/console-*.png: the operator console's login, search, conversation (a span being
corrected), review queue, the search on a phone, a notice composed and delivered, and a staff
day's event, poll, rates and suggestion, in Chinese.

    .venv/bin/python docs/console_screenshots.py

It runs the console's browser test (tests/browser/test_console_browser.py: the whole service
over a fresh database, Debian's chromium) with LINLI_CONSOLE_SHOTS pointing here, so the
pictures show exactly what that test checks. Needs fonts-noto-cjk for the Chinese.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent


def main() -> int:
    env = dict(os.environ, LINLI_CONSOLE_SHOTS=str(DOCS))
    return subprocess.run([sys.executable, "-m", "pytest", "-q",
                           "tests/browser/test_console_browser.py",
                           "tests/browser/test_console_nlu.py",
                           "tests/browser/test_staff_board.py",
                           "tests/browser/test_notices_browser.py",
                           "tests/browser/test_staff_day.py"], cwd=DOCS.parent, env=env,
                          check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
