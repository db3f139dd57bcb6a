"""The feature representations the key networks read, one registry declared beside the models.

Each :class:`Representation` says what a model of it gets: the input shape, the feature settings audio is
decoded and analysed at, and :meth:`Representation.inputs`, the model inputs of a whole song's audio (the
path every estimator, page and command takes). Training data reads the same settings
(:mod:`core.data.datasets`), so a model sees at inference what it learned on.

* ``semitone``: log-magnitude constant-Q windows, one bin per semitone over 4 octaves from C2, 64 frames of
  hop 4096 at 22,050 Hz (about 12 s) side by side, each scaled to max 1 (``keynet``).
* ``stft162``: the capstone's 162x162 STFT image of each excerpt (``seed``).
* ``tuned``: tuned semitones (:func:`core.audio.features.tuned_semitones`), 7 octaves from C1, the whole
  window in one input (``eqkey``: any number of frames).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.audio.features import FeatureSettings, extract, extract_whole
from core.models.builders import EQKEY_INPUT_SHAPE, KEYNET_INPUT_SHAPE, SEED_INPUT_SHAPE

SEMITONE_SR, SEMITONE_HOP = 22050, 4096  # the "semitone" representation: 64 frames = 11.9 s
C2_HZ = 65.40639132514966
STFT_SECONDS = 15.0  # the capstone's image covers one excerpt of this length
TUNED_OCTAVES, TUNED_ROWS = 8, 84  # the store keeps 8 octaves from C1; models see 7 (row 0 = C)
TUNED_SECONDS = 16.0  # excerpt of each training file kept in the store
TUNED_SETTINGS = FeatureSettings(kind="tuned", sample_rate=22050, hop=8192, bins_per_semitone=1,
                                 octaves=TUNED_OCTAVES, fmin=C2_HZ / 2, duration=TUNED_SECONDS)
STFT162 = FeatureSettings(kind="stft162", duration=STFT_SECONDS)


def semitone_settings(bins: int = 48, frames: int = 64, duration: float | None = None) -> FeatureSettings:
    """The ``logspec`` settings of the "semitone" representation: one bin per semitone over ``bins // 12``
    octaves from C2, hop 4096 at 22,050 Hz; ``duration`` defaults to one window of ``frames`` frames."""
    if bins % 12:
        raise ValueError(f"semitone windows span whole octaves; {bins} bins is not a multiple of 12")
    return FeatureSettings(kind="logspec", sample_rate=SEMITONE_SR, hop=SEMITONE_HOP, bins_per_semitone=1,
                           octaves=bins // 12, fmin=C2_HZ, duration=duration or frames * SEMITONE_HOP / SEMITONE_SR)


def semitone_windows(y: np.ndarray, bins: int = 48, frames: int = 64) -> np.ndarray:
    """Non-overlapping (bins x frames) windows of mono audio ``y`` at 22,050 Hz: the features of
    :func:`semitone_settings` over the whole of ``y``, cut into windows each scaled to max 1 (the input
    of ``keynet-default``)."""
    cqt = extract(y, semitone_settings(bins, frames, duration=max(len(y), 1) / SEMITONE_SR))
    count = max(1, cqt.shape[1] // frames)
    cqt = np.pad(cqt, ((0, 0), (0, max(0, frames - cqt.shape[1]))))
    windows = np.stack([cqt[:, i * frames:(i + 1) * frames] for i in range(count)]).astype(np.float32)
    return windows / np.maximum(windows.max(axis=(1, 2), keepdims=True), 1e-6)


def tuned_input(features: np.ndarray) -> np.ndarray:
    """Model input from tuned features ``(..., rows, frames)``: the lowest :data:`TUNED_ROWS` rows (C1 up),
    scaled to max 1 per example."""
    x = features[..., :TUNED_ROWS, :]
    return (x / np.maximum(x.max(axis=(-2, -1), keepdims=True), 1e-6)).astype(np.float32)


def excerpt_features(y: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Features of each ``settings.duration`` excerpt of ``y``, stacked (at least one; the last one
    zero-padded, dropped when under half of one)."""
    n = settings.n_samples
    return np.stack([extract(y[i:i + n], settings) for i in range(0, max(1, y.size - n // 2), n)])


@dataclass(frozen=True)
class Representation:
    """What a model of this representation reads: the default ``input_shape`` (rows, frames, channels),
    whether the model takes any number of frames, the feature settings a model's audio is analysed at
    (:meth:`settings`) and how a song's audio becomes model inputs (:meth:`inputs`)."""

    name: str
    input_shape: tuple[int, int, int]
    any_length: bool
    help: str
    _settings: Callable[[tuple[int, int, int]], FeatureSettings]
    _inputs: Callable[[np.ndarray, tuple[int, int, int]], np.ndarray]

    def settings(self, input_shape: tuple[int, int, int] | None = None) -> FeatureSettings:
        """The feature settings for a model of ``input_shape`` (default: the representation's own)."""
        return self._settings(tuple(input_shape or self.input_shape))

    def inputs(self, y: np.ndarray, input_shape: tuple[int, int, int] | None = None) -> np.ndarray:
        """(n, rows, frames, 1) model inputs of mono audio ``y`` at the settings' sample rate, for a model of
        ``input_shape`` (default: the representation's own)."""
        return self._inputs(y, tuple(input_shape or self.input_shape))[..., None]

    def fits(self, shape: tuple[int, ...], input_shape: tuple[int, int, int]) -> bool:
        """Whether inputs of ``shape`` (without the batch axis) suit a model of ``input_shape``."""
        if self.any_length:
            return tuple(shape[:1]) + tuple(shape[2:]) == tuple(input_shape[:1]) + tuple(input_shape[2:])
        return tuple(shape) == tuple(input_shape)


REPRESENTATIONS: dict[str, Representation] = {
    "semitone": Representation(
        "semitone", KEYNET_INPUT_SHAPE, False,
        "log-frequency grid (48 semitones from C2 x 64 frames of 0.19 s, about 12 s)",
        lambda shape: semitone_settings(shape[0], shape[1]),
        lambda y, shape: semitone_windows(y, shape[0], shape[1])),
    "stft162": Representation(
        "stft162", SEED_INPUT_SHAPE, False, "the capstone's 162x162 STFT image of each 15 s excerpt",
        lambda shape: STFT162, lambda y, shape: excerpt_features(y, STFT162)),
    "tuned": Representation(
        "tuned", EQKEY_INPUT_SHAPE, True,
        "tuned semitones (7 octaves from C1, a whole window at once: the real-music model's input)",
        lambda shape: TUNED_SETTINGS, lambda y, shape: tuned_input(extract_whole(y, TUNED_SETTINGS))[None]),
}
MODEL_REPRESENTATION = {"seed": "stft162", "keynet": "semitone", "eqkey": "tuned"}  # what each builder is made for


def representation(name: str) -> Representation:
    """The registered representation ``name`` (a ValueError listing them otherwise)."""
    if name not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {name!r}; choose one of {', '.join(REPRESENTATIONS)}")
    return REPRESENTATIONS[name]
