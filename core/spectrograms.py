"""What the Spectrograms page shows of one clip or one class: images and chroma profiles.

Until ``core.features`` / ``core.feature_store`` land, the three representations are
computed here with librosa (and cached by the page); switch to the store once it exists.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

SAMPLE_RATE = 22050
REPRESENTATIONS = {
    "stft162": "log-magnitude STFT, 162 linear frequency bins (the capstone's 162x162 input)",
    "logspec": "log-magnitude constant-Q spectrogram, one bin per semitone from C1 (84 bins)",
    "chroma": "chromagram: energy per pitch class C..B",
}


def load(path: str | Path, seconds: float | None = None) -> np.ndarray:
    """Mono float32 audio at :data:`SAMPLE_RATE`; a ValueError naming the file if it cannot be read."""
    import librosa

    try:
        y, _ = librosa.load(str(path), sr=SAMPLE_RATE, mono=True, duration=seconds)
    except Exception as err:  # noqa: BLE001 - soundfile/audioread raise many types
        raise ValueError(f"{path}: cannot read audio ({err})") from None
    if y.size == 0:
        raise ValueError(f"{path}: no audio samples")
    return y


def compute(y: np.ndarray, representation: str) -> np.ndarray:
    """(bins, frames) image of ``y`` in ``representation`` (one of :data:`REPRESENTATIONS`), low bins first."""
    import librosa

    if representation == "stft162":
        magnitude = np.abs(librosa.stft(y, n_fft=322, hop_length=SAMPLE_RATE // 16))
        image = librosa.amplitude_to_db(magnitude, ref=np.max)
        return image[:, :162]
    if representation == "logspec":
        magnitude = np.abs(librosa.cqt(y, sr=SAMPLE_RATE, fmin=librosa.note_to_hz("C1"), n_bins=84))
        return librosa.amplitude_to_db(magnitude, ref=np.max)
    if representation == "chroma":
        return librosa.feature.chroma_cqt(y=y, sr=SAMPLE_RATE)
    raise ValueError(f"unknown representation {representation!r}; choose one of {', '.join(REPRESENTATIONS)}")


def mean_chroma(paths: list[str | Path]) -> np.ndarray:
    """The average chroma (12 values C..B, summing to 1) over the clips at ``paths``."""
    if not paths:
        raise ValueError("no clips to average")
    total = np.zeros(12)
    for path in paths:
        total += compute(load(path), "chroma").mean(axis=1)
    return total / total.sum()


def to_image(array: np.ndarray) -> np.ndarray:
    """Scale to 0..1 and flip so that low frequencies are at the bottom, for ``st.image``."""
    lo, hi = float(array.min()), float(array.max())
    return np.flipud((array - lo) / (hi - lo if hi > lo else 1.0))
