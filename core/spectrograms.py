"""What the Spectrograms page shows of clips: their features in each representation, and mean chroma.

Features come from :mod:`core.features` through a :class:`core.feature_store.FeatureStore`
under the cache folder, so a clip is analysed once per representation, across restarts.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from core import paths
from core.corpus import CLIP_SECONDS
from core.feature_store import FeatureStore
from core.features import FeatureSettings

REPRESENTATIONS = {
    "stft162": "log-magnitude linear STFT as the capstone's 162x162 grayscale input",
    "logspec": "log-magnitude constant-Q spectrogram, 2 bins per semitone over 6 octaves from C1 (144 bins)",
    "chroma": "chromagram: energy per pitch class C..B",
}


def settings(representation: str) -> FeatureSettings:
    """The feature settings of a representation, over a whole corpus clip."""
    return FeatureSettings(kind=representation, duration=CLIP_SECONDS)


def features(files: list[str | Path], representation: str,
             progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """``(features by file, error message by file)`` for clips, extracting only those not yet stored."""
    store = FeatureStore(paths.CACHE_DIR / "features", settings(representation))
    stored, errors = store.extract_files(files, progress=progress)
    return {f: store.get(item) for f, item in stored.items()}, errors


def mean_chroma(chromas: list[np.ndarray]) -> np.ndarray:
    """The average chroma (12 values C..B, summing to 1) of several clips' chromagrams."""
    if not chromas:
        raise ValueError("no clips to average")
    total = np.sum([c.mean(axis=1) for c in chromas], axis=0)
    return total / total.sum()


def to_image(array: np.ndarray) -> np.ndarray:
    """Scale to 0..1 and flip so that low frequencies are at the bottom, for ``st.image``."""
    lo, hi = float(array.min()), float(array.max())
    return np.flipud((array - lo) / (hi - lo if hi > lo else 1.0))
