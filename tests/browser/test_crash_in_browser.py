"""In a real browser: the analysis worker is killed with SIGSEGV while an upload is analysed. The page says
the analysis crashed, the server keeps serving other tabs, and the next upload gets its key."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from core.estimate.analysis_pool import CRASHED
from tests.audio_fixtures import write_key_audio
from tests.browser.conftest import dashboard, upload_and_read_key, wait_for_app

UPLOADER = '[data-testid="stFileUploader"] input[type="file"]'


def worker_pids(url: str) -> list[int]:
    """The analysis workers of the dashboard serving ``url``: its server's children started by
    multiprocessing's spawn (``spawn_main``; the resource tracker and numba's probe are left out)."""
    port = url.rsplit(":", 1)[1].encode()
    processes = {}
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            command = (folder / "cmdline").read_bytes().split(b"\0")
            parent = int((folder / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # ended while the list was read
        processes[int(folder.name)] = (parent, command)
    servers = [pid for pid, (_, command) in processes.items()
               if b"--server.port" in command and command[command.index(b"--server.port") + 1] == port]
    return [pid for pid, (parent, command) in processes.items()
            if parent in servers and any(b"spawn_main" in part for part in command)]


def test_a_worker_killed_mid_upload_costs_that_upload_only(page, browser, tmp_path):
    long_song = write_key_audio(tmp_path / "long.wav", "A major", seconds=300.0)
    song = write_key_audio(tmp_path / "song.wav", "E minor", seconds=8.0)
    home = tmp_path / "home"
    home.mkdir()
    with dashboard(home, KEYSCOPE_WORKERS="1") as url:
        page.goto(f"{url}/predict?pr_model=template:krumhansl&pr_window=20")
        wait_for_app(page)
        page.locator(UPLOADER).set_input_files(str(long_song))
        deadline = time.monotonic() + 180
        while not (pids := worker_pids(url)):
            assert time.monotonic() < deadline, "no analysis worker started"
            time.sleep(0.1)
        time.sleep(1.0)
        for pid in pids:
            os.kill(pid, signal.SIGSEGV)
        page.wait_for_selector(f'[data-testid="stAlertContentError"]:has-text("long.wav: {CRASHED}")', timeout=180_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stMetric"]').count() == 0

        other = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:  # another visitor, meanwhile: the server still serves, with a fresh worker
            assert upload_and_read_key(other.new_page(), url, song, timeout_ms=180_000) == "E minor"
        finally:
            other.close()
        assert not set(pids) & set(worker_pids(url))

        page.locator(UPLOADER).set_input_files(str(song))  # the same tab's next upload gets its key
        page.wait_for_selector('[data-testid="stMetric"]:has-text("Camelot")', timeout=180_000)
        wait_for_app(page, 180_000)
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
