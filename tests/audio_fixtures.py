"""Write REAL audio files (wav, flac, ogg, mp3, aiff via soundfile) of chords in a known key, for tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.keys import MAJOR, Key

SR = 22050
SUBTYPES = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS", "mp3": "MPEG_LAYER_III", "aiff": "PCM_16"}


def key_signal(key: str | Key, seconds: float = 2.0, sr: int = SR, shift: int = 0) -> np.ndarray:
    """Tonic triad of ``key`` (plus ``shift`` semitones) around C4 as harmonic tones, mono float32."""
    key = key if isinstance(key, Key) else Key.parse(key)
    root = 60 + key.tonic + shift
    third = 4 if key.mode == MAJOR else 3
    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    for midi in (root - 12, root, root + third, root + 7):
        f0 = 440.0 * 2 ** ((midi - 69) / 12)
        for h in (1, 2, 3):
            y += np.sin(2 * np.pi * f0 * h * t) / h
    y *= np.minimum(1.0, np.minimum(t, t[-1] - t) * 20)  # short fades, no clicks
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


def write_key_audio(path: str | Path, key: str | Key, seconds: float = 2.0, fmt: str | None = None,
                    sr: int = SR, shift: int = 0) -> Path:
    """Write the tonic triad of ``key`` to ``path`` in ``fmt`` (default: the path's extension)."""
    import soundfile as sf

    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, key_signal(key, seconds, sr, shift), sr, format=fmt.upper(), subtype=SUBTYPES[fmt])
    return path
