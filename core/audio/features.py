"""Feature settings and extraction: the seed's 162x162 STFT image, a semitone log-spectrogram, chroma,
and the tuned semitone spectrogram the real-music key CNN reads.

``FeatureSettings.id`` is a stable short hash of the fields, used to key the feature store.
A fixed excerpt duration gives a fixed shape (short audio is zero-padded).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from functools import lru_cache

import numpy as np

KINDS = ("stft162", "logspec", "chroma", "tuned")
SEED_SIZE = 162


@dataclass(frozen=True)
class FeatureSettings:
    """How to turn audio into one feature image."""

    kind: str = "logspec"
    sample_rate: int = 22050
    hop: int = 4410  # 5 frames/s at 22050 Hz
    offset: float = 0.0
    duration: float = 10.0
    bins_per_semitone: int = 2
    octaves: int = 6
    fmin: float = 32.70319566257483  # C1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"feature kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.duration <= 0 or self.hop <= 0 or self.sample_rate <= 0:
            raise ValueError("duration, hop and sample_rate must be positive")

    @property
    def id(self) -> str:
        """Stable 12-hex-digit hash of all fields."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureSettings":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown feature settings: {', '.join(sorted(unknown))}")
        return cls(**data)

    @property
    def n_samples(self) -> int:
        return int(round(self.duration * self.sample_rate))

    @property
    def n_bins(self) -> int:
        return {"stft162": SEED_SIZE, "logspec": 12 * self.octaves * self.bins_per_semitone,
                "chroma": 12, "tuned": 12 * self.octaves}[self.kind]

    @property
    def shape(self) -> tuple[int, int]:
        """(bins, frames) of every extracted feature."""
        if self.kind == "stft162":
            return SEED_SIZE, SEED_SIZE
        return self.n_bins, 1 + self.n_samples // self.hop


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)[:n]
    return np.pad(y, (0, n - y.size)) if y.size < n else y


def extract(y: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Float32 ``(bins, frames)`` features of mono audio ``y`` (already at ``settings.sample_rate``)."""
    y = _fit(y, settings.n_samples)
    if settings.kind == "tuned":  # NumPy only: the shipped model's features need no librosa import
        return tuned_semitones(y, settings)
    import librosa

    sr = settings.sample_rate
    if settings.kind == "stft162":
        # The seed: linear STFT magnitude in dB, cropped to 162x162, scaled to 0..1 grayscale.
        n_fft = 2 * (SEED_SIZE - 1)
        hop = max(1, settings.n_samples // SEED_SIZE)
        db = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop)), ref=np.max)
        image = db[:SEED_SIZE, :SEED_SIZE]
        image = np.pad(image, ((0, 0), (0, SEED_SIZE - image.shape[1])), constant_values=-80.0)
        return ((image + 80.0) / 80.0).clip(0, 1).astype(np.float32)
    if settings.kind == "logspec":
        cqt = np.abs(librosa.cqt(y, sr=sr, hop_length=settings.hop, fmin=settings.fmin,
                                 n_bins=settings.n_bins, bins_per_octave=12 * settings.bins_per_semitone))
        return np.log1p(cqt).astype(np.float32)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=settings.hop, fmin=settings.fmin,
                                         n_octaves=settings.octaves)
    return chroma.astype(np.float32)


def extract_whole(y: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Features of all of ``y``: ``settings`` with the duration of ``y`` instead of its own."""
    from dataclasses import replace

    return extract(y, replace(settings, duration=max(len(y), 1) / settings.sample_rate))


TUNED_GAIN = 1000.0  # tuned features are log1p(TUNED_GAIN x magnitude / its max): 0 to log1p(1000), 60 dB of range


def tuned_semitones(y: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Log-compressed magnitude in semitone bands from ``settings.fmin``, centred on the recording's tuning.

    A long-window STFT (``n_fft = 2 * hop``, 50 % overlap) is summed through triangular filters one
    semitone wide whose centres move with the tuning :func:`estimate_tuning` finds, so a record
    tuned 30 cents sharp lands on the same rows as one at A = 440 Hz. Cheap enough to run on a
    whole song in a few milliseconds per minute; rows are semitones, so transposition is a shift.
    """
    spectrum = stft_magnitude(y, 2 * settings.hop, settings.hop)
    tuning = estimate_tuning(spectrum, settings.sample_rate)
    bands = np.asarray(semitone_filterbank(settings.sample_rate, 2 * settings.hop, settings.fmin, settings.n_bins,
                                           round(tuning * 20) / 20) @ spectrum)
    return np.log1p(TUNED_GAIN * bands / max(float(bands.max()), 1e-9)).astype(np.float32)


def stft_magnitude(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """``np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop))`` in NumPy (centred frames, zero padding, periodic
    Hann window), as float32 ``(1 + n_fft // 2, frames)``, without importing librosa (seconds of start-up)."""
    padded = np.pad(np.asarray(y, dtype=np.float32), n_fft // 2)
    if padded.size < n_fft:
        raise ValueError(f"{y.size} samples are too few for an STFT of {n_fft}")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    return np.abs(np.fft.rfft(frames * window, axis=-1)).T.astype(np.float32)


def estimate_tuning(spectrum: np.ndarray, sr: int, low_hz: float = 150.0, high_hz: float = 2500.0) -> float:
    """Deviation of the recording from A = 440 Hz in semitones (-0.5..0.5): the circular mean of every
    STFT bin's pitch modulo one semitone, weighted by its squared magnitude over the whole excerpt."""
    freqs = np.fft.rfftfreq(2 * (spectrum.shape[0] - 1), 1.0 / sr)
    band = (freqs >= low_hz) & (freqs <= high_hz)
    weight = np.square(spectrum[band]).sum(axis=1)
    angle = 2 * np.pi * 12 * np.log2(freqs[band] / 440.0)
    vector = np.sum(weight * np.exp(1j * angle))
    return float(np.angle(vector) / (2 * np.pi)) if abs(vector) > 0 else 0.0


def audio_tuning(y: np.ndarray, sr: int, n_fft: int = 8192) -> float:
    """:func:`estimate_tuning` of mono audio ``y``: its deviation from A = 440 Hz in semitones."""
    return estimate_tuning(stft_magnitude(y, n_fft, n_fft // 2), sr)


@lru_cache(maxsize=64)
def semitone_filterbank(sr: int, n_fft: int, fmin: float, n_bins: int, tuning: float):
    """Sparse (n_bins, 1 + n_fft // 2) triangular filters on a log-frequency axis, one per semitone from
    ``fmin`` moved by ``tuning`` semitones; each STFT bin splits between its two nearest semitone centres."""
    from scipy import sparse

    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    with np.errstate(divide="ignore"):
        position = 12 * np.log2(freqs / fmin) - tuning  # fractional semitone row of each STFT bin
    rows = np.arange(n_bins)[:, None]
    weights = np.clip(1 - np.abs(position[None, :] - rows), 0, None)
    weights[:, freqs <= 0] = 0
    return sparse.csr_matrix(weights.astype(np.float32))


def transpose(x: np.ndarray, k: int, settings: FeatureSettings) -> np.ndarray:
    """Features shifted up ``k`` semitones: zero-filled shift for logspec, roll for chroma.

    The key label moves with it: ``(tonic + k) % 12``.
    """
    if settings.kind == "stft162":
        raise ValueError("stft162 features are on a linear frequency axis and cannot be transposed; "
                         "use logspec or chroma")
    if settings.kind == "chroma":
        return np.roll(x, k, axis=0)
    shift = k * settings.bins_per_semitone
    out = np.zeros_like(x)
    if shift >= 0:
        out[shift:] = x[: x.shape[0] - shift]
    else:
        out[:shift] = x[-shift:]
    return out
