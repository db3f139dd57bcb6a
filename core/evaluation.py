"""Score any estimator on a labelled set: a ``file,key`` labels CSV, or a run's stored test predictions."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from core.estimators import KeyEstimator, estimate_audio
from core.metrics import summary


def evaluate_labels(labels_csv: str | Path, estimator: KeyEstimator,
                    progress: Callable[[Iterable], Iterable] = iter) -> dict:
    """``core.metrics.summary`` of ``estimator`` on every file of a labels CSV, plus ``seconds`` and per-file rows.

    ``progress`` wraps the file loop (tqdm on the command line). Files that cannot be
    decoded raise :class:`core.audio.AudioError` naming the file.
    """
    from core.audio import load_audio
    from core.audio_index import read_labels

    labels = read_labels(labels_csv)
    if labels.empty:
        raise ValueError(f"{labels_csv}: no labelled files")
    start = time.perf_counter()
    probas = []
    for path in progress(labels["audio_path"].tolist()):
        y = load_audio(path, sr=estimator.settings.sample_rate)
        probas.append(estimate_audio(estimator, y, estimator.settings.sample_rate))
    seconds = time.perf_counter() - start
    y_true = (2 * labels["key"] + labels["mode"]).to_numpy(dtype=int)
    proba = np.stack(probas)
    result = summary(y_true, proba)
    result.update(model=estimator.name, seconds=seconds,
                  files=pd.DataFrame({"file": labels["audio_path"], "true": y_true,
                                      "predicted": proba.argmax(axis=1)}).to_dict("records"))
    return result


def evaluate_run(folder: str | Path) -> dict:
    """``core.metrics.summary`` of a run's stored test-split predictions (``predictions.csv``)."""
    frame = pd.read_csv(Path(folder) / "predictions.csv")
    proba = frame[[f"p{i}" for i in range(24)]].to_numpy(dtype=float)
    return summary(frame["class_index"].to_numpy(dtype=int), proba)
