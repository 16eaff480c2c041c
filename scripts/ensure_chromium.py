"""Make sure a Chromium exists for the browser tests.

Order: Playwright's own browser if installed, else /usr/bin/chromium, else `apt-get install -y
chromium` when root on Debian, else `playwright install chromium`.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path


def playwright_chromium() -> str | None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        path = p.chromium.executable_path
    return path if path and Path(path).exists() else None


def main() -> int:
    if playwright_chromium() or Path("/usr/bin/chromium").exists():
        return 0
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Chromium from Debian for the browser tests", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
        return 0
    print("Installing Playwright's Chromium for the browser tests", file=sys.stderr)
    return subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"]).returncode


if __name__ == "__main__":
    sys.exit(main())
