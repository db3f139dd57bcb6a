"""Real-browser fixtures: a `streamlit run app.py` server and Debian's chromium driven by Playwright.

Nothing downloads a browser: Playwright launches ``/usr/bin/chromium``. Where it
is missing the tests skip with a reason, except in CI (``CI=true`` or
``KEYSCOPE_REQUIRE_BROWSER=1``), where they fail.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KEYSCOPE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def _browser_required() -> bool:
    return os.environ.get("KEYSCOPE_REQUIRE_BROWSER") == "1" or os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium)"
        if _browser_required():
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def _start_server(home: Path, env_vars: dict[str, str]) -> tuple[subprocess.Popen, str, Path]:
    """``streamlit run app.py`` on a free localhost port, not waited for: (process, URL, log file)."""
    port = _free_port()
    env = dict(os.environ, KEYSCOPE_RUNS=str(home / "runs"), KEYSCOPE_CACHE=str(home / "cache"),
               PYTHONUNBUFFERED="1", **env_vars)
    log_path = home / "streamlit.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    return server, f"http://127.0.0.1:{port}", log_path


def _wait_healthy(server: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 180  # a shared, busy machine starts slowly
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"streamlit did not start: {log_path.read_text()[-2000:]}")
        time.sleep(0.5)


@contextlib.contextmanager
def dashboards(homes: list[Path], **env_vars: str):
    """One server per folder of ``homes`` (see :func:`dashboard`), all started at once; yields their URLs once
    every one answers."""
    servers = []
    try:
        for home in homes:
            servers.append(_start_server(home, env_vars))
        for server in servers:
            _wait_healthy(*server)
        yield [url for _, url, _ in servers]
    finally:
        for server, _, _ in servers:
            server.terminate()
        for server, _, _ in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


@contextlib.contextmanager
def dashboard(home: Path, **env_vars: str):
    """``streamlit run app.py`` on a free localhost port; its runs and caches live under ``home``;
    ``env_vars`` are set for the server (e.g. ``KEYSCOPE_PUBLIC="1"``)."""
    with dashboards([home], **env_vars) as urls:
        yield urls[0]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, chromium_path):
    """One dashboard server shared by the browser tests."""
    with dashboard(tmp_path_factory.mktemp("keyscope-home")) as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def metric(page, label: str) -> str:
    """The value of the metric labelled exactly ``label``."""
    import re

    exact = page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{re.escape(label)}$"))
    return page.locator('[data-testid="stMetric"]', has=exact).locator('[data-testid="stMetricValue"]').inner_text()


def upload_and_read_key(page, base_url: str, song: Path, timeout_ms: int = 60_000) -> str:
    """Open the Predict page, upload ``song`` and return the key the page shows (no exception on it)."""
    page.goto(f"{base_url}/predict")
    wait_for_app(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(song))
    page.wait_for_selector('[data-testid="stMetric"]:has-text("Camelot")', timeout=timeout_ms)
    wait_for_app(page, timeout_ms)
    assert page.locator('[data-testid="stException"]').count() == 0
    return metric(page, "Key")


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until a page's title is shown and Streamlit has finished running the script: its own script state
    (``data-test-script-state`` on the app root) reads "notRunning" and no status widget shows, twice 300 ms
    apart (the status widget alone appears only after a delay, so a slow run could pass for a finished one)."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_ms)
    for _ in range(2):
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"
            " === 'notRunning' && !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)
        page.wait_for_timeout(300)
