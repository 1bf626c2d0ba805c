"""Screenshot a sweep's report.html in headless Chromium, to check what a reader sees first.

    python scripts/screenshot_report.py results/sweeps/quickstart/<time>/report.html
    python scripts/screenshot_report.py REPORT.html --out first_screen.png --height 900

Needs a Chromium (Debian: ``apt-get install -y chromium``); it is not a dependency of ordertwin
and CI does not run this script. The report embeds its images, so the file renders offline.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def screenshot(report: Path, out: Path, width: int, height: int, browser: str) -> None:
    """One PNG of the first ``width`` x ``height`` pixels of the page."""
    with tempfile.TemporaryDirectory() as profile:  # no state from, or left in, a user profile
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={out.resolve()}",
                report.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a report.html")
    parser.add_argument("--out", type=Path, help="PNG to write (default: beside the report)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900, help="900: the first screen")
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print("screenshot_report: no Chromium found; apt-get install -y chromium", file=sys.stderr)
        return 2
    out = args.out or args.report.with_name("report_first_screen.png")
    screenshot(args.report, out, args.width, args.height, browser)
    print(f"screenshot_report: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
