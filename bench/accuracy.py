"""Accuracy benchmark: every system on the bundled corpus's test clips (the split keynet-default was tested
on; the default eqkey never saw the bundled corpus) and, optionally, a labels CSV.

Scores come from :func:`core.evaluation.scoring.evaluate_on_run_split` and
:func:`core.evaluation.scoring.evaluate_labels` (accuracy, MIREX weighted score and its breakdown
from :func:`core.evaluation.metrics.summary`). Scores are deterministic, so each is computed once.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import systems  # noqa: F401 - puts the repository root on sys.path
from tqdm import tqdm

from core.audio.index import read_labels
from core.estimate.estimators import load_estimator
from core.evaluation.scoring import evaluate_labels, evaluate_on_run_split
from core.paths import MODELS_DIR

CORPUS_SPLIT_RUN = MODELS_DIR / "keynet-default"  # its predictions.csv names the 99 test clips
CATEGORIES = ("correct", "fifth", "relative", "parallel", "other")


def _limited_run(folder: Path, limit: int, tmp: Path) -> Path:
    """A run folder whose ``predictions.csv`` keeps only the first ``limit`` test clips (for --quick)."""
    frame = pd.read_csv(folder / "predictions.csv", usecols=["track_id", "class_index"]).drop_duplicates("track_id")
    (tmp / "run").mkdir()
    frame.head(limit).to_csv(tmp / "run" / "predictions.csv", index=False)
    return tmp / "run"


def _limited_labels(csv: Path, limit: int, tmp: Path) -> Path:
    """A ``file,key`` CSV of the first ``limit`` rows of ``csv``, paths made absolute (for --quick)."""
    from core.keys import Key

    rows = read_labels(csv).head(limit)
    out = tmp / "labels.csv"
    pd.DataFrame({"file": [str(Path(p).resolve()) for p in rows["audio_path"]],
                  "key": [Key(int(k), int(m)).name for k, m in zip(rows["key"], rows["mode"])]}).to_csv(out, index=False)
    return out


def _scores(result: dict) -> dict:
    return {"n": result["n"], "accuracy": result["accuracy"], "mirex_weighted": result["mirex_weighted"],
            **{c: result["mirex_fractions"][c] for c in CATEGORIES}}


def run(names: list[str], labels: Path | None = None, limit: int | None = None) -> dict:
    """``{set name: {"source": ..., "systems": {system label: scores}}}`` for the test split and ``labels``."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = _limited_run(CORPUS_SPLIT_RUN, limit, Path(tmp)) if limit else CORPUS_SPLIT_RUN
        sets = {"corpus test split": (str(CORPUS_SPLIT_RUN / "predictions.csv"),
                                      lambda est, bar: evaluate_on_run_split(folder, est, bar))}
        if labels is not None:
            csv = _limited_labels(labels, limit, Path(tmp)) if limit else labels
            sets[Path(labels).name] = (str(labels), lambda est, bar: evaluate_labels(csv, est, bar))
        results = {name: {"source": source, "systems": {}} for name, (source, _) in sets.items()}
        for name in names:
            estimator = load_estimator(name)
            for set_name, (_, evaluate) in sets.items():
                bar = lambda items: tqdm(items, desc=f"accuracy {name} on {set_name}", leave=False)  # noqa: E731
                results[set_name]["systems"][estimator.name] = _scores(evaluate(estimator, bar))
    return results
