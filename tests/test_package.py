"""``pip install .`` into a fresh virtual environment gives a working ``keyscope`` command, and Dask workers
without Keyscope are refused in one line while workers with the installed package render a corpus."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.installed import clean_env, dask_cluster
from tests.audio_fixtures import write_key_audio

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


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


def render(address: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", "corpus", "--recipe", "rock", "--size", "24", "--seed", "3",
                           "--scheduler", address, "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)


def test_workers_without_keyscope_get_one_line(tmp_path):
    with dask_cluster(sys.executable, 2, tmp_path) as address:
        done = render(address, tmp_path / "corpus")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr and "deserializ" not in done.stderr, done.stderr
    assert address in lines[0] and "cannot run Keyscope" in lines[0] and "pip install" in lines[0], lines[0]
    assert not (tmp_path / "corpus").exists()


def test_workers_with_the_installed_package_render_the_corpus(venv, tmp_path):
    with dask_cluster(venv / "bin" / "python", 2, tmp_path) as address:
        done = render(address, tmp_path / "corpus")
    assert done.returncode == 0, done.stderr
    labels = (tmp_path / "corpus" / "labels.csv").read_text().strip().splitlines()
    assert len(labels) == 25 and len(list((tmp_path / "corpus" / "audio").rglob("*.ogg"))) == 24
    assert "24 clips" in done.stdout


def test_a_scheduler_without_workers_is_named():
    from distributed import LocalCluster

    from core.runtime.parallel import ClusterError, check_scheduler

    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        with pytest.raises(ClusterError, match="has no workers; start some with `dask worker"):
            check_scheduler(cluster.scheduler_address)
