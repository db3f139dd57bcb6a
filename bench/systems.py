"""The key estimators the benchmarks compare, by name.

Every name :func:`core.estimate.estimators.available_estimators` lists except the user's training
runs: the shipped CNN (``default``), any other shipped model, every ``template:<profile>``
and, where ``import essentia`` works,
core's ``essentia`` (Essentia's ``KeyExtractor`` with its default profile, bgate) and
``essentia:<profile>`` for the profiles in :data:`ESSENTIA_PROFILES`.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.estimate.estimators import available_estimators, essentia_available  # noqa: E402
from core.models.runs import list_runs  # noqa: E402

ESSENTIA_PROFILES = ("edma", "temperley", "krumhansl")
ESSENTIA_SKIPPED = ("skipped: essentia not installed "
                    "(pip install essentia failed / not available for this platform)")


def names() -> list[str]:
    """Every system to benchmark: the shipped models, the templates, Essentia's profiles if installed."""
    runs = {run.id for run in list_runs()}
    found = [n for n in available_estimators() if n not in runs]
    return found + ([f"essentia:{p}" for p in ESSENTIA_PROFILES] if essentia_available() else [])


def essentia_status() -> str:
    if not essentia_available():
        return ESSENTIA_SKIPPED
    import essentia

    return f"essentia {essentia.__version__}: KeyExtractor profiles bgate (default), {', '.join(ESSENTIA_PROFILES)}"
