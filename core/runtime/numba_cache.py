"""Numba's on-disk cache for librosa, kept where concurrent Keyscope processes cannot poison it.

librosa compiles some functions with ``cache=True``. Two processes compiling the same one at once can
leave a cache whose index and data disagree (numba issue 10128); every later process that loads it
segfaults. So :func:`point_cache` (run by ``import core``, before anything imports numba) sends numba's
cache to ``paths.CACHE_DIR/numba`` (unless ``NUMBA_CACHE_DIR`` is already set), and :func:`ensure`, called
before any parallel work, compiles the functions Keyscope uses once, under a file lock, in a probe
subprocess. A probe that crashes or fails means a bad cache: it is deleted and compiled again. A stamp
records the cache's files after a good probe, so a later call only lists the folder; a cache that
changed since (another writer) is probed again.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from core.errors import KeyscopeError

STAMP = "keyscope-probe.ok"
PROBE_TIMEOUT_S = 600


class NumbaCacheError(KeyscopeError, RuntimeError):
    """The cache was rebuilt and the probe still fails: the problem is not the cache."""


def point_cache() -> None:
    """Point numba's cache at Keyscope's cache folder (no effect once numba is imported)."""
    from core import paths

    os.environ.setdefault("NUMBA_CACHE_DIR", str(paths.CACHE_DIR / "numba"))


def cache_dir() -> Path:
    point_cache()
    return Path(os.environ["NUMBA_CACHE_DIR"])


def _fingerprint(folder: Path) -> str:
    """Names, sizes and modification times of the cache's files (the stamp excluded)."""
    entries = sorted(f"{p.relative_to(folder)}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
                     for p in folder.rglob("*") if p.is_file() and p.name != STAMP and not p.name.endswith(".lock"))
    return hashlib.sha1("\n".join(entries).encode()).hexdigest()


def _versions() -> str:
    from importlib.metadata import version

    return f"python {sys.version.split()[0]} numba {version('numba')} librosa {version('librosa')}"


def probe() -> None:
    """Call every librosa path Keyscope's features take (compiling or loading its cached functions)."""
    import numpy as np

    from core.audio.features import KINDS, FeatureSettings, extract
    from core.estimate.estimators import TemplateEstimator

    sr = 22050
    t = np.arange(2 * sr, dtype=np.float32) / sr
    y = (0.3 * np.sin(2 * np.pi * 440.0 * t) + 0.2 * np.sin(2 * np.pi * 659.3 * t)).astype(np.float32)
    for kind in KINDS:
        features = extract(y, FeatureSettings(kind=kind, duration=2.0))
        if not np.isfinite(features).all():
            raise SystemExit(f"probe: {kind} features are not finite")
    if not np.isfinite(TemplateEstimator("krumhansl").features(y)).all():
        raise SystemExit("probe: template features are not finite")


def _run_probe() -> tuple[bool, str]:
    """Run :func:`probe` in a subprocess: (passed, why not)."""
    done = subprocess.run([sys.executable, "-c", "from core.runtime.numba_cache import probe; probe()"],
                          capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
                          cwd=Path(__file__).resolve().parents[2], env=dict(os.environ))
    if done.returncode == 0:
        return True, ""
    if done.returncode < 0:
        return False, f"the probe died with signal {-done.returncode}"
    return False, f"the probe failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}"


@contextlib.contextmanager
def _locked(folder: Path):
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure(recheck: bool = False) -> str:
    """Make sure numba's cache is compiled and sound before parallel work: "ok" (stamp matches),
    "compiled" (probe passed) or "rebuilt" (a bad cache was deleted and compiled again).
    ``recheck`` probes even when the stamp matches (after a worker crashed). Raises
    :class:`NumbaCacheError` when the probe fails on a fresh cache too."""
    folder = cache_dir()
    with _locked(folder):
        stamp = folder / STAMP
        expected = _versions()
        if not recheck and stamp.is_file() and stamp.read_text() == f"{expected}\n{_fingerprint(folder)}":
            return "ok"
        passed, why = _run_probe()
        outcome = "compiled"
        if not passed:
            shutil.rmtree(folder, ignore_errors=True)
            passed, why_fresh = _run_probe()
            if not passed:
                raise NumbaCacheError(f"{why}; with a fresh numba cache too: {why_fresh}")
            outcome = "rebuilt"
        folder.mkdir(parents=True, exist_ok=True)
        stamp.write_text(f"{expected}\n{_fingerprint(folder)}")
        return outcome
