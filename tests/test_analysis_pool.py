"""The analysis pool: uploads are analysed in worker processes, and a worker killed mid-analysis (SIGSEGV)
costs that request one clear error while other requests, the pool and the page go on."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.estimate.analysis_pool import CRASHED, NICENESS, AnalysisCrashed, AnalysisPool
from tests.audio_fixtures import write_key_audio

MODEL = "template:krumhansl"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def song(tmp_path) -> bytes:
    return write_key_audio(tmp_path / "song.wav", "E minor", seconds=6.0).read_bytes()


@pytest.fixture
def long_song(tmp_path) -> bytes:
    """Long enough (5 min, 15 windows) to still be analysed when the test kills its worker."""
    return write_key_audio(tmp_path / "long.wav", "A major", seconds=300.0).read_bytes()


def kill_when_busy(pool: AnalysisPool, timeout: float = 120.0, settle_s: float = 0.5) -> list[int]:
    """SIGSEGV to the workers serving a request, once one is (and has run ``settle_s``); their pids."""
    deadline = time.monotonic() + timeout
    while not (pids := pool.pids(busy=True)):
        assert time.monotonic() < deadline, "no worker became busy"
        time.sleep(0.05)
    time.sleep(settle_s)
    for pid in pids:
        os.kill(pid, signal.SIGSEGV)
    return pids


def test_a_worker_keeps_its_process_and_returns_the_key(song):
    pool = AnalysisPool(workers=1, idle_s=None)
    try:
        first = pool.predict(song, "song.wav", MODEL, 5.0, 5.0)
        pids = pool.pids()
        second = pool.predict(song, "song.wav", MODEL, 5.0, 5.0)
        assert first["key"] == second["key"] == "E minor"
        assert pids and pool.pids() == pids and os.getpid() not in pids  # analysed outside this process
    finally:
        pool.shutdown()


def test_bad_audio_raises_its_own_error_from_the_worker():
    from core.audio.decode import AudioError

    pool = AnalysisPool(workers=1, idle_s=None)
    try:
        with pytest.raises(AudioError, match="notes.mp3"):
            pool.predict(b"just some text, not audio\n" * 40, "notes.mp3", MODEL, 5.0, 5.0)
    finally:
        pool.shutdown()


def test_sigsegv_in_one_worker_costs_only_its_request(song, long_song):
    pool = AnalysisPool(workers=2, idle_s=None)
    try:
        pool.predict(song, "song.wav", MODEL, 5.0, 5.0)  # both slots warm up lazily; one is started here
        outcome = {}

        def other_session():  # a second visitor's upload, analysed in the other worker meanwhile
            outcome["other"] = pool.predict(long_song, "long.wav", MODEL, 20.0, 20.0)

        crashing = {}

        def crashing_session():
            try:
                pool.predict(long_song, "long.wav", MODEL, 20.0, 20.0)
            except AnalysisCrashed as err:
                crashing["error"] = str(err)

        victim = threading.Thread(target=crashing_session)
        victim.start()
        killed = kill_when_busy(pool)
        others = threading.Thread(target=other_session)
        others.start()
        victim.join(300)
        others.join(300)
        assert crashing == {"error": CRASHED}
        assert outcome["other"]["key"] == "A major"
        again = pool.predict(song, "song.wav", MODEL, 5.0, 5.0)  # the next upload gets its key, from a new worker
        assert again["key"] == "E minor" and not set(killed) & set(pool.pids())
    finally:
        pool.shutdown()


def test_a_worker_is_replaced_after_max_tasks():
    """Memory a worker gathers is bounded: after ``max_tasks`` requests a fresh process takes over."""
    pool = AnalysisPool(workers=1, max_tasks=2, idle_s=None)
    try:
        pids = [pool.call(os.getpid) for _ in range(5)]
        assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4] and os.getpid() not in pids
        assert pool.call(os.nice, 0) == os.nice(0) + NICENESS  # workers yield the cores to page renders
    finally:
        pool.shutdown()


def test_idle_workers_exit_and_come_back(song):
    pool = AnalysisPool(workers=1, idle_s=0.5)
    try:
        pool.predict(song, "song.wav", MODEL, 5.0, 5.0)
        deadline = time.monotonic() + 30
        while pool.pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pool.pids() == []  # memory goes back: no process holds models after the idle time
        assert pool.predict(song, "song.wav", MODEL, 5.0, 5.0)["key"] == "E minor"
    finally:
        pool.shutdown()


def test_the_predict_page_says_the_analysis_crashed_and_the_next_upload_gets_its_key(song, long_song):
    """SIGSEGV to the worker while the page analyses an upload: one error line, then the next upload's key."""
    from streamlit.testing.v1 import AppTest

    from core import paths
    from ui.settings import analysis_pool, policy

    at = AppTest.from_file(str(paths.ROOT / "views" / "predict_page.py"), default_timeout=300)
    at.query_params["pr_model"], at.query_params["pr_window"] = MODEL, "20"
    at.run()
    killed = []
    killer = threading.Thread(target=lambda: killed.extend(kill_when_busy(analysis_pool(policy().workers))))
    killer.start()
    at.file_uploader[0].set_value(("long.wav", long_song, "audio/wav")).run()
    killer.join(300)
    assert killed and not at.exception
    assert [e.value for e in at.error] == [f"long.wav: {CRASHED}"] and not at.metric
    at.file_uploader[0].set_value(("song.wav", song, "audio/wav")).run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Key"] == "E minor"


def test_a_request_that_hangs_is_stopped_and_the_next_one_gets_its_key(song):
    import time

    from core.estimate.analysis_pool import AnalysisTimedOut

    pool = AnalysisPool(workers=1, idle_s=None, timeout_s=10.0)  # room for a busy machine to start the worker
    try:
        pool.call(time.sleep, 0)  # the worker is up (spawned and imported) before the clock starts
        hung = pool.pids()
        with pytest.raises(AnalysisTimedOut, match="longer than 10 s"):  # not after the 600 s sleep ends
            pool.call(time.sleep, 600)  # a decoder that never returns
        assert all(not _alive(pid) for pid in hung)  # the hung process was killed, not left running
        assert pool.predict(song, "song.wav", MODEL, 5.0, 5.0)["key"] == "E minor"
    finally:
        pool.shutdown()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_workers_analysis_with_the_default_model_imports_no_science_stack(tmp_path):
    """Each worker starts afresh (spawned, replaced after MAX_TASKS or when idle): librosa brings numba and
    scipy.signal (seconds of CPU per start, and numba's on-disk caches), TensorFlow far more; the default
    model's path needs neither."""
    song = write_key_audio(tmp_path / "song.wav", "E minor", seconds=10.0)  # the default's limit: 8 s or more
    script = ("import sys; from core.estimate.analysis_pool import predict_task; "
              f"result = predict_task(open({str(song)!r}, 'rb').read(), 'song.wav', 'default', 20.0, 10.0); "
              "print(result['key']); "
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'librosa', 'numba', 'tensorflow', 'keras'}))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    key, heavy = done.stdout.strip().splitlines()[-2:]
    assert heavy == "[]", heavy
    assert key == "E minor"
