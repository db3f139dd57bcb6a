"""The key estimators the benchmarks compare, by name.

``default`` (the shipped CNN) and every ``template:<profile>`` come from
:func:`core.estimators.available_estimators`; where ``import essentia`` works, also
core's ``essentia`` (Essentia's ``KeyExtractor`` with its default profile, bgate) and
``essentia:<profile>`` for the profiles in :data:`ESSENTIA_PROFILES`.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.estimators import (EssentiaEstimator, KeyEstimator, available_estimators,  # noqa: E402
                             essentia_available, load_estimator)

ESSENTIA_PROFILES = ("edma", "temperley", "krumhansl")
ESSENTIA_SKIPPED = ("skipped: essentia not installed "
                    "(pip install essentia failed / not available for this platform)")


class EssentiaProfile(EssentiaEstimator):
    """core's ``EssentiaEstimator`` with ``KeyExtractor(profileType=profile)``.

    core's estimator always uses Essentia's default profile; rather than copy its
    key-to-probability mapping, ``KeyExtractor`` is given the profile for the call.
    """

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self.name = f"essentia: KeyExtractor ({profile})"

    def predict_proba(self, features):
        import essentia.standard as es

        extractor = es.KeyExtractor
        es.KeyExtractor = functools.partial(extractor, profileType=self.profile)
        try:
            return super().predict_proba(features)
        finally:
            es.KeyExtractor = extractor


def names() -> list[str]:
    """Every system to benchmark: the shipped CNN, the templates, Essentia's profiles if installed."""
    found = [n for n in available_estimators() if n == "default" or n.startswith(("template:", "essentia"))]
    return found + ([f"essentia:{p}" for p in ESSENTIA_PROFILES] if essentia_available() else [])


def load(name: str) -> KeyEstimator:
    if name.startswith("essentia:"):
        return EssentiaProfile(name.split(":", 1)[1])
    estimator = load_estimator(name)
    if name == "essentia":
        estimator.name = "essentia: KeyExtractor (bgate, default)"
    return estimator


def essentia_status() -> str:
    if not essentia_available():
        return ESSENTIA_SKIPPED
    import essentia

    return f"essentia {essentia.__version__}: KeyExtractor profiles bgate (default), {', '.join(ESSENTIA_PROFILES)}"
