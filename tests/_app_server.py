"""The app on a free localhost port, headless, for browser and load tests.

Needs the Debian ``chromium`` package (``/usr/bin/chromium``) for the browser itself; never a
browser downloaded by a test tool.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def _pending_texts() -> list[str]:
    """The openings of the notices a page shows while map layers are drawn (both languages)."""
    from app_support.i18n import TEXT

    return [text.split("{")[0] for key in ("map.pending", "map.pending.optional") for text in TEXT[key]]


def wait_idle(page, timeout_s: float = 180.0) -> None:
    """Wait until Streamlit has finished running the page's script."""
    page.wait_for_timeout(500)
    page.wait_for_selector(IDLE, timeout=timeout_s * 1000)


def wait_settled(page, timeout_s: float = 180.0) -> None:
    """Wait until the page's script is idle and no map layer is still being drawn: a page that
    waits for its layers runs again by itself, and a click in between would fall on a page that
    is being replaced."""
    wait_idle(page, timeout_s)
    page.wait_for_function("texts => !texts.some(t => document.body.innerText.includes(t))",
                           arg=_pending_texts(), timeout=timeout_s * 1000)
    page.wait_for_selector(IDLE, timeout=timeout_s * 1000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def streamlit_server(log: Path, *, env: Mapping[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run streamlit_app.py`` until the block ends: ``(url, process)``."""
    port = free_port()
    environ = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **(env or {})}
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=environ)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
