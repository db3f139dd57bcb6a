"""``pip install .`` into a fresh virtual environment gives a working ``keyscope`` command, and Dask workers
without Keyscope are refused in one line while workers with the installed package render a corpus."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.audio_fixtures import write_key_audio

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """This environment without anything that would put the checkout on a child's path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment (system packages visible, so nothing is downloaded) with this checkout
    installed by ``pip install --no-deps --no-build-isolation .``."""
    folder = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(folder)], check=True, timeout=300)
    subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    str(ROOT)], check=True, timeout=600, env=clean_env(), cwd=folder)
    return folder


def test_installed_keyscope_predicts_like_the_checkout(venv, tmp_path):
    song = write_key_audio(tmp_path / "song.flac", "Bb major", seconds=20.0)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import core; print(core.__file__)"], cwd=elsewhere,
                           env=clean_env(), capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), where  # the installed copy, not the checkout
    installed = subprocess.run([str(venv / "bin" / "keyscope"), "predict", str(song), "--format", "json"],
                               cwd=elsewhere, env=clean_env(), capture_output=True, text=True, timeout=300)
    checkout = subprocess.run([sys.executable, "-m", "core", "predict", str(song), "--format", "json"], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0 and checkout.returncode == 0, installed.stderr + checkout.stderr
    ours, theirs = json.loads(installed.stdout), json.loads(checkout.stdout)
    assert ours["key"] == theirs["key"] == "Bb major"
    assert ours["probabilities"] == theirs["probabilities"] and ours["model"] == theirs["model"]
    listed = subprocess.run([str(venv / "bin" / "keyscope"), "predict", str(song), "--model", "keynet-default"],
                            cwd=elsewhere, env=clean_env(), capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and "major" in listed.stdout, listed.stderr  # every shipped model is installed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(python: str, cwd: Path, workers: int = 2):
    """``dask scheduler`` and ``workers`` ``dask worker`` processes run by ``python`` in ``cwd``, without the
    checkout on their path; yields the scheduler's address."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    common = ["--no-dashboard"]
    logs = (cwd / "dask.log").open("w")
    procs = [subprocess.Popen([python, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                               *common], cwd=cwd, env=clean_env(), stdout=logs, stderr=logs)]
    try:
        procs += [subprocess.Popen([python, "-m", "dask", "worker", address, "--nthreads", "1", "--no-nanny", *common],
                                   cwd=cwd, env=clean_env(), stdout=logs, stderr=logs) for _ in range(workers)]
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", int(address.rsplit(":", 1)[1])), timeout=1).close()
                break
            assert time.monotonic() < deadline, (cwd / "dask.log").read_text()
            time.sleep(0.5)
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        logs.close()


def render(address: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", "corpus", "--recipe", "rock", "--size", "24", "--seed", "3",
                           "--scheduler", address, "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)


def test_workers_without_keyscope_get_one_line(tmp_path):
    with dask_cluster(sys.executable, tmp_path) as address:
        done = render(address, tmp_path / "corpus")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr and "deserializ" not in done.stderr, done.stderr
    assert address in lines[0] and "cannot run Keyscope" in lines[0] and "pip install" in lines[0], lines[0]
    assert not (tmp_path / "corpus").exists()


def test_workers_with_the_installed_package_render_the_corpus(venv, tmp_path):
    with dask_cluster(str(venv / "bin" / "python"), tmp_path) as address:
        done = render(address, tmp_path / "corpus")
    assert done.returncode == 0, done.stderr
    labels = (tmp_path / "corpus" / "labels.csv").read_text().strip().splitlines()
    assert len(labels) == 25 and len(list((tmp_path / "corpus" / "audio").rglob("*.ogg"))) == 24
    assert "24 clips" in done.stdout
