"""Classic key profiles: how strongly each pitch class belongs to a key, from the tonic up.

Krumhansl & Kessler (1982) probe-tone ratings and Temperley's (1999) revised
profiles, as listed in Temperley, *Music and Probability* (2007) and used by
music21's key analysis; Aarden (2003, Essen folksong corpus) and Bellman (2005,
after Budge 1943) note-count profiles and Sha'ath's (2011, KeyFinder) tuned
Krumhansl variant, with the values Essentia's ``Key`` algorithm ships. Index 0 is
the tonic; :func:`profile` rotates one to a key and :func:`match` scores a chroma
vector against all 24 keys (Krumhansl-Schmuckler correlation).
"""
from __future__ import annotations

import numpy as np

from core.keys import MAJOR, Key, as_key

PROFILES = {
    "krumhansl": {
        MAJOR: (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88),
        0: (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17),
    },
    "temperley": {
        MAJOR: (5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0),
        0: (5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0),
    },
    "aarden": {
        MAJOR: (17.7661, 0.145624, 14.9265, 0.160186, 19.8049, 11.3587, 0.291248, 22.062, 0.145624,
                8.15494, 0.232998, 4.95122),
        0: (18.2648, 0.737619, 14.0499, 16.8599, 0.702494, 14.4362, 0.702494, 18.6161, 4.56621,
            1.93186, 7.37619, 1.75623),
    },
    "bellman": {
        MAJOR: (16.80, 0.86, 12.95, 1.41, 13.49, 11.93, 1.25, 20.28, 1.80, 8.04, 0.62, 10.57),
        0: (18.16, 0.69, 12.99, 13.34, 1.07, 11.15, 1.38, 21.07, 7.49, 1.53, 0.92, 10.21),
    },
    "shaath": {
        MAJOR: (6.6, 2.0, 3.5, 2.3, 4.6, 4.0, 2.5, 5.2, 2.4, 3.7, 2.3, 3.4),
        0: (6.5, 2.7, 3.5, 5.4, 2.6, 3.5, 2.5, 5.2, 4.0, 2.7, 4.3, 3.2),
    },
}


def profile(key: "Key | str | int", name: str = "krumhansl", normalise: bool = True) -> np.ndarray:
    """The 12 pitch-class weights (C..B) of ``key``; scaled to sum to 1 when ``normalise``."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    key = as_key(key)
    weights = np.roll(np.asarray(PROFILES[name][key.mode], dtype=float), key.tonic)
    return weights / weights.sum() if normalise else weights


def profile_matrix(name: str = "krumhansl") -> np.ndarray:
    """(24, 12): the profile of every class index ``2*key+mode``, each row summing to 1."""
    return np.stack([profile(index, name) for index in range(24)])


def match(chroma: np.ndarray, name: str = "krumhansl") -> np.ndarray:
    """(24,) Pearson correlations of a 12-bin chroma vector (C..B) with every key's profile.

    ``chroma`` may also be (12, frames): it is averaged over frames first.
    """
    chroma = np.asarray(chroma, dtype=float)
    if chroma.ndim == 2:
        chroma = chroma.mean(axis=1)
    if chroma.shape != (12,):
        raise ValueError(f"chroma must have 12 pitch classes, got shape {chroma.shape}")
    profiles = profile_matrix(name)
    a = profiles - profiles.mean(axis=1, keepdims=True)
    b = chroma - chroma.mean()
    denominator = np.linalg.norm(a, axis=1) * np.linalg.norm(b)
    return (a @ b) / np.where(denominator > 0, denominator, 1.0)


def match_proba(chroma: np.ndarray, name: str = "krumhansl", sharpness: float = 10.0) -> np.ndarray:
    """(24,) probabilities: a softmax of :func:`match` correlations scaled by ``sharpness``."""
    scores = sharpness * match(chroma, name)
    weights = np.exp(scores - scores.max())
    return weights / weights.sum()
