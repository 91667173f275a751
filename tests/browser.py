"""Headless Chromium for tests that look at a page as a person would: Debian's `chromium` package (the
Makefile's test target installs it; this installs it too where it can: as root, with apt-get and the
Debian mirror). No browser is ever downloaded from anywhere else.

Every run is offline by construction: a fresh profile, background networking off, and every host name
resolving to nothing; a net log records any request the page itself starts (`page_requests`).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND"]


def find_chromium(install: bool = True) -> tuple[str | None, str]:
    """(path to chromium, "") or (None, why it is not there)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found or not install:
        return found, "" if found else "chromium is not installed"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "chromium is not installed and this user cannot install it (apt-get install chromium, as root)"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600, check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True, timeout=900, check=True)
    except (subprocess.SubprocessError, OSError) as e:
        return None, f"chromium is not installed and apt-get could not install it: {e}"
    found = shutil.which("chromium")
    return found, "" if found else "apt-get install chromium left no chromium on PATH"


def run_chromium(chromium: str, html_path: str, *args: str, timeout: int = 120) -> tuple[str, list[str]]:
    """Loads file://html_path with `args` (--dump-dom, --screenshot=...): (stdout, URLs the page requested)."""
    with tempfile.TemporaryDirectory() as profile:
        netlog = os.path.join(profile, "net.json")
        out = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--log-net-log={netlog}", *args,
                              "file://" + os.path.abspath(html_path)], capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"chromium failed ({out.returncode}): {out.stderr[-2000:]}")
        return out.stdout, page_requests(netlog)


def page_requests(netlog_path: str) -> list[str]:
    """URLs of the requests a file:// page started (not the browser's own), from a Chromium net log."""
    try:
        with open(netlog_path, encoding="utf-8") as f:
            log = json.load(f)
    except (OSError, ValueError):  # the log is finished when chromium exits; a truncated one ends without "]}"
        with open(netlog_path, encoding="utf-8") as f:
            log = json.loads(f.read().rstrip().rstrip(",") + "]}")
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return sorted({e["params"]["url"] for e in log["events"]
                   if e["type"] == start_job and "file://" in str(e.get("params", {}).get("network_isolation_key", ""))
                   and "url" in e.get("params", {}) and not e["params"]["url"].startswith("file:")})
