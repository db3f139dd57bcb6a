"""Classic key profiles: how strongly each pitch class belongs to a key, from the tonic up.

Krumhansl & Kessler (1982) probe-tone ratings and Temperley's (1999) revised
profiles, as listed in Temperley, *Music and Probability* (2007) and used by
music21's key analysis. Index 0 is the tonic; :func:`profile` rotates one to a key.
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
