"""What the Spectrograms page shows of clips: their features in each representation, and mean chroma.

Features come from :mod:`core.audio.features` through a :class:`core.audio.store.FeatureStore`
under the cache folder, so a clip is analysed once per representation, across restarts.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from core import paths
from core.audio.features import SEED_SIZE, FeatureSettings
from core.audio.store import FeatureStore
from core.data.corpus import BUNDLED_CLIP_SECONDS
from core.keys import SHARP_NAMES

FEATURE_VIEWS = {
    "stft162": "log-magnitude linear STFT as the capstone's 162x162 grayscale input",
    "logspec": "log-magnitude constant-Q spectrogram, 2 bins per semitone over 6 octaves from C1 (144 bins)",
    "chroma": "chromagram: energy per pitch class C..B",
}


def settings(representation: str) -> FeatureSettings:
    """The feature settings of a representation, over a whole corpus clip."""
    return FeatureSettings(kind=representation, duration=BUNDLED_CLIP_SECONDS)


def features(files: list[str | Path], representation: str,
             progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """``(features by file, error message by file)`` for clips, extracting only those not yet stored."""
    store = FeatureStore(paths.CACHE_DIR / "features", settings(representation))
    stored, errors = store.extract_files(files, progress=progress)
    return {f: store.get(item) for f, item in stored.items()}, errors


DB_RANGE = 80.0  # the quietest level a spectrogram image shows, in dB below the clip's loudest bin


def for_display(representation: str, array: np.ndarray) -> tuple[np.ndarray, float, float, str]:
    """``(values, low, high, unit)`` for a heatmap of a clip's features on a fixed colour scale: the constant-Q
    ``logspec`` (stored as ``log1p`` of magnitudes) in dB below the clip's loudest bin, clipped at
    :data:`DB_RANGE` (silence is the scale's bottom, not a bright colour); the others as stored (0..1)."""
    if representation != "logspec":
        return array, 0.0, 1.0, "level"
    magnitude = np.expm1(np.asarray(array, dtype=np.float64))
    db = 20 * np.log10(np.maximum(magnitude, 1e-10) / max(float(magnitude.max()), 1e-10))
    return np.maximum(db, -DB_RANGE).astype(np.float32), -DB_RANGE, 0.0, "dB"


def mean_chroma(chromas: list[np.ndarray]) -> np.ndarray:
    """The average chroma (12 values C..B, summing to 1) of several clips' chromagrams."""
    if not chromas:
        raise ValueError("no clips to average")
    total = np.sum([c.mean(axis=1) for c in chromas], axis=0)
    return total / total.sum()


def axes(representation: str, frames: int) -> tuple[np.ndarray, list[int], list[str]]:
    """``(seconds at each frame, frequency-axis rows, their note names)`` for a representation's
    features: each C on the constant-Q rows, each pitch class on chroma, each A from A4 on the
    linear STFT (whose bins are ``extract``'s: ``n_fft = 2 * (SEED_SIZE - 1)``, 162 frames per clip)."""
    import librosa

    s = settings(representation)
    if representation == "chroma":
        return librosa.frames_to_time(np.arange(frames), sr=s.sample_rate, hop_length=s.hop), list(range(12)), \
            list(SHARP_NAMES)
    if representation == "stft162":
        hop = s.n_samples // SEED_SIZE
        hz_per_row = s.sample_rate / (2 * (SEED_SIZE - 1))
        notes = [f"A{octave}" for octave in range(4, 10) if 440 * 2 ** (octave - 4) / hz_per_row < SEED_SIZE]
        rows = [int(round(librosa.note_to_hz(note) / hz_per_row)) for note in notes]
    else:
        hop, per_octave = s.hop, 12 * s.bins_per_semitone
        rows = list(range(0, s.n_bins, per_octave))  # fmin is a C: every octave's first row is a C
        notes = [librosa.hz_to_note(s.fmin * 2 ** (row / per_octave)) for row in rows]
    return librosa.frames_to_time(np.arange(frames), sr=s.sample_rate, hop_length=hop), rows, notes
