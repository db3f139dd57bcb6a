"""Numba's cache for librosa: compiled once under a lock by concurrent processes, and rebuilt when poisoned."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.runtime import numba_cache

ROOT = Path(__file__).resolve().parent.parent
# Each process: make sure the cache is sound (the lock lets one compile), then call librosa's cached functions.
WORKER = "from core.runtime.numba_cache import ensure, probe; print(ensure()); probe()"


def _env(cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    return dict(env, KEYSCOPE_CACHE=str(cache))


@pytest.fixture(scope="module")
def started_together(tmp_path_factory):
    """Four processes started at once on an empty cache: their (return code, stdout, stderr) and the cache."""
    home = tmp_path_factory.mktemp("numba-home")
    procs = [subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=_env(home), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    return [(p.wait(timeout=900), *p.communicate()) for p in procs], home


def test_processes_started_together_compile_once_and_all_run(started_together):
    results, home = started_together
    assert [rc for rc, _, _ in results] == [0, 0, 0, 0], [err[-500:] for _, _, err in results]
    outcomes = sorted(out.strip() for _, out, _ in results)
    assert outcomes == ["compiled", "ok", "ok", "ok"]  # one compiled under the lock, the others found it sound
    assert list((home / "numba").rglob("*.nbi")), "librosa's cached functions were written to Keyscope's cache"
    later = subprocess.run([sys.executable, "-c", "from core.runtime.numba_cache import probe; probe()"], cwd=ROOT,
                           env=_env(home), capture_output=True, text=True, timeout=600)
    assert later.returncode == 0, later.stderr[-500:]


def test_a_poisoned_cache_is_detected_and_rebuilt(started_together, tmp_path, monkeypatch):
    assert [rc for rc, _, _ in started_together[0]] == [0, 0, 0, 0]
    shutil.copytree(started_together[1] / "numba", tmp_path / "numba", copy_function=shutil.copy2)  # times kept
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("KEYSCOPE_CACHE", str(tmp_path))
    monkeypatch.setattr("core.paths.CACHE_DIR", tmp_path)
    assert numba_cache.ensure() == "ok"  # a sound cache, compiled once (the fixture), its stamp matching
    # Poison it as two racing compilers can: the piptrack gufunc's data files hold another function's code.
    folder = tmp_path / "numba"
    donors = sorted(folder.rglob("guf-audio._zc_wrapper-*.nbc"))
    victims = sorted(folder.rglob("guf-pitch._pi_wrapper-*.nbc"))
    assert donors and len(donors) == len(victims)
    for donor, victim in zip(donors, victims):
        shutil.copyfile(donor, victim)
    crashed = subprocess.run([sys.executable, "-c", "from core.runtime.numba_cache import probe; probe()"], cwd=ROOT,
                             env=dict(os.environ), capture_output=True, timeout=600)
    assert crashed.returncode != 0  # the poisoned cache really breaks librosa (a segfault here)
    assert numba_cache.ensure() == "rebuilt"  # the stamp no longer matches the files: probed, found bad, rebuilt
    assert numba_cache.ensure() == "ok"
    fixed = subprocess.run([sys.executable, "-c", "from core.runtime.numba_cache import probe; probe()"], cwd=ROOT,
                           env=dict(os.environ), capture_output=True, text=True, timeout=600)
    assert fixed.returncode == 0, fixed.stderr[-500:]
