"""The relay in a real browser: headless Chromium opens the example page, which streams the
recorded LLM response through ``sse_response`` and applies the patches with ``midstream.js``.

Chromium is driven through chromedriver's WebDriver HTTP protocol, spoken directly with httpx.
Asserted: each panel ends with the document the stream carries (the valid one complete, the
strict one stopped at the failing field, error shown); every render is a prefix of the next (the
partial-value contract, as the browser saw it); the bytes the page received (counted in the page
and on the server, which must agree) are fewer than relaying whole snapshots would have sent; a
screenshot is a real PNG (``MIDSTREAM_SCREENSHOT=path`` also saves it there: the README's).

Chromium comes from Debian (``apt-get install chromium chromium-driver``; ``python3 dev.py test``
installs it when it runs as root). Without it the test is skipped, except under CI (``CI`` set),
where it fails.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.relay_app import Party, create_app, recorded_payloads, source_text
from midstream import updates
from tests.test_web import is_prefix, serving, snapshot_relay_bytes

ROOT = Path(__file__).resolve().parent.parent
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
]


def browser_paths() -> tuple[str, str]:
    chromium = os.environ.get("MIDSTREAM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    driver = os.environ.get("MIDSTREAM_CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (os.path.exists(chromium) and os.path.exists(driver)):
        message = (
            f"Chromium or chromedriver is missing ({chromium}, {driver}): "
            "apt-get install -y chromium chromium-driver (python3 dev.py test does it as root)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return chromium, driver


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class WebDriver:
    """The few WebDriver commands this test needs (W3C WebDriver over HTTP)."""

    def __init__(self, driver_url: str, chromium: str, profile: str) -> None:
        self.http = httpx.Client(base_url=driver_url, timeout=60)
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {"binary": chromium, "args": [*FLAGS, f"--user-data-dir={profile}"]},
                }
            }
        }
        value = self._call("POST", "/session", caps)
        self.session = f"/session/{value['sessionId']}"

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        r = self.http.request(method, path, json=body)
        data = r.json()
        if r.status_code != 200:
            raise AssertionError(f"WebDriver {method} {path}: {r.status_code} {data}")
        return data["value"]

    def get(self, url: str) -> None:
        self._call("POST", f"{self.session}/url", {"url": url})

    def run(self, script: str) -> Any:
        return self._call("POST", f"{self.session}/execute/sync", {"script": script, "args": []})

    def screenshot(self) -> bytes:
        return base64.b64decode(self._call("GET", f"{self.session}/screenshot"))

    def quit(self) -> None:
        try:
            self._call("DELETE", self.session)
        finally:
            self.http.close()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    chromium, driver = browser_paths()
    port = free_port()
    log_dir = tempfile.TemporaryDirectory(prefix="midstream-chromedriver-")
    log_path = Path(log_dir.name) / "chromedriver.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([driver, f"--port={port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/status", timeout=2).json()["value"]["ready"]:
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError(f"chromedriver did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        with tempfile.TemporaryDirectory(prefix="midstream-chromium-") as profile:
            wd = WebDriver(url, chromium, profile)
            try:
                yield wd
            finally:
                wd.quit()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
        log_dir.cleanup()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_page_in_chromium(browser: WebDriver, tmp_path: Path) -> None:
    payloads = recorded_payloads()
    source = json.loads(source_text(payloads))
    app = create_app(delay=0.02)
    with serving(app) as base:
        browser.get(f"{base}/")
        deadline = time.monotonic() + 90
        while True:
            states = browser.run(
                "return window.__panels ? Object.values(window.__panels).map(p => p.status) : []"
            )
            if len(states) == 2 and "streaming" not in states:
                break
            assert time.monotonic() < deadline, f"the page did not finish: {states}"
            time.sleep(0.1)
        time.sleep(0.3)  # (the last animation frame)
        panels = json.loads(browser.run("return JSON.stringify(window.__panels)"))
        shot = browser.screenshot()
        finished = {f["model"]: f for f in app.state.finished}

    # the valid panel: the whole document, every render a prefix of the next
    party = panels["party"]
    assert party["status"] == "done", party.get("error")
    assert party["doc"] == source
    snaps = [json.loads(s) for s in party["snapshots"]]
    assert snaps and snaps[-1] == source
    for a, b in itertools.pairwise(snaps):
        assert is_prefix(a, b), (a, b)

    # the strict panel: stopped where validation failed, the error shown at its path
    strict = panels["strict"]
    assert strict["status"] == "error"
    assert strict["error"]["type"] == "StreamValidationError"
    assert strict["error"]["path"] == "/characters/2/class"
    assert is_prefix(strict["doc"], source)
    assert strict["doc"]["characters"][:2] == source["characters"][:2]
    assert strict["doc"]["characters"][2]["class"] == "thief"
    for a, b in itertools.pairwise(strict["snapshots"]):
        assert is_prefix(json.loads(a), json.loads(b))

    # bytes: the page's count and the server's agree; fewer than whole snapshots
    whole = snapshot_relay_bytes(updates(payloads, model=Party))
    server = finished["party"]
    assert server["outcome"] == "done" and finished["strict"]["outcome"] == "error"
    assert party["bytes"] == server["bytes"]
    assert strict["bytes"] == finished["strict"]["bytes"]
    assert server["bytes"] < whole
    doc_bytes = len(json.dumps(source, separators=(",", ":"), ensure_ascii=False).encode())
    print(
        f"\nbrowser: {server['events']} events, {server['bytes']} bytes received for a "
        f"{doc_bytes}-byte document ({server['bytes'] / doc_bytes:.2f}x); whole snapshots per delta: "
        f"{whole} bytes ({whole / doc_bytes:.1f}x); patches / snapshots = {server['bytes'] / whole:.3f}"
    )
    assert finished["strict"]["upstream_closed"]

    # the screenshot
    width, height = png_size(shot)
    assert width >= 800 and height >= 600 and len(shot) > 10_000
    (tmp_path / "screenshot.png").write_bytes(shot)
    target = os.environ.get("MIDSTREAM_SCREENSHOT")
    if target:
        path = Path(target) if target not in ("1", "yes") else ROOT / "docs" / "screenshot.png"
        path = path if path.is_absolute() else ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(shot)
