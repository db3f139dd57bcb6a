"""Scores for 24-class key predictions: accuracy, F-beta, MIREX weighted score, confusion.

Relations between keys (fifth, relative, parallel) come from :mod:`mir_eval.key`
through :func:`core.keys.mirex_score`; F-beta from scikit-learn.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, fbeta_score, recall_score

from core.keys import N_CLASSES, mirex_score

# mir_eval.key.weighted_score values -> the MIREX category they stand for.
_CATEGORIES = {1.0: "correct", 0.5: "fifth", 0.3: "relative", 0.2: "parallel", 0.0: "other"}
# summary() keys of the headline scores -> the names pages show them under ({beta} is the summary's beta).
LABELS = {"accuracy": "accuracy", "mirex_weighted": "MIREX weighted", "fbeta_macro": "macro F{beta}",
          "fbeta_seed_batch": "seed batch F{beta}"}


def seed_batch_fbeta(y_true: np.ndarray, proba: np.ndarray, beta: float = 1.0) -> float:
    """The seed notebook's Keras-1 F-beta, *labelled as such*: not a real F-score.

    It rounds every probability to 0/1 (``K.round(K.clip(p, 0, 1))``) and pools
    true positives over the whole (n, 24) matrix. With 24 softmax outputs no
    probability exceeds 0.5 until the model is confident, so the rounded
    predictions are all zero, precision and recall collapse and the score reads ~0
    even when argmax accuracy is well above chance.
    """
    onehot = np.eye(N_CLASSES)[np.asarray(y_true, dtype=int)]
    predicted = np.round(np.clip(proba, 0, 1))
    tp = float((onehot * predicted).sum())
    eps = 1e-7
    precision = tp / (predicted.sum() + eps)
    recall = tp / (onehot.sum() + eps)
    b2 = beta ** 2
    return float((1 + b2) * precision * recall / (b2 * precision + recall + eps))


def mirex_breakdown(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """MIREX weighted score and the fraction of predictions in each category."""
    scores = np.array([mirex_score(int(t), int(p)) for t, p in zip(y_true, y_pred)], dtype=float)
    n = max(len(scores), 1)
    fractions = {name: float(np.isclose(scores, value).sum() / n) for value, name in _CATEGORIES.items()}
    return {"weighted": float(scores.mean()) if len(scores) else 0.0, "fractions": fractions}


def summary(y_true: np.ndarray, proba: np.ndarray, beta: float = 1.0) -> dict:
    """Everything Keyscope reports about predictions ``proba`` (n, 24) of classes ``y_true`` (n,).

    JSON-serialisable: accuracy, macro F-beta (sklearn), the seed's batch F-beta,
    MIREX weighted score with its breakdown, 24x24 confusion counts and
    row-normalised confusion (rows = true class), per-class recall.
    """
    y_true = np.asarray(y_true, dtype=int)
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape[1] != N_CLASSES or len(proba) != len(y_true):
        raise ValueError(f"expected y_true (n,) and proba (n, 24); got {y_true.shape} and {proba.shape}")
    y_pred = proba.argmax(axis=1)
    labels = list(range(N_CLASSES))
    counts = confusion_matrix(y_true, y_pred, labels=labels)
    rows = counts.sum(axis=1, keepdims=True)
    normalised = np.divide(counts, rows, out=np.zeros(counts.shape, dtype=float), where=rows > 0)
    mirex = mirex_breakdown(y_true, y_pred)
    return {
        "n": int(len(y_true)),
        "accuracy": float((y_pred == y_true).mean()) if len(y_true) else 0.0,
        "beta": float(beta),
        "fbeta_macro": float(fbeta_score(y_true, y_pred, beta=beta, average="macro",
                                         labels=sorted(set(y_true.tolist())), zero_division=0)),
        "fbeta_seed_batch": seed_batch_fbeta(y_true, proba, beta),
        "mirex_weighted": mirex["weighted"],
        "mirex_fractions": mirex["fractions"],
        "confusion": counts.tolist(),
        "confusion_normalised": normalised.tolist(),
        "recall_per_class": recall_score(y_true, y_pred, labels=labels, average=None,
                                         zero_division=0).tolist(),
    }


def headline(result: dict) -> dict[str, float]:
    """The headline scores of a :func:`summary` (or a run's ``metrics.json``) under their :data:`LABELS`."""
    beta = f"{float(result.get('beta', 1.0)):g}"
    return {label.format(beta=beta): result[key] for key, label in LABELS.items() if key in result}


def bootstrap_interval(scores, level: float = 0.95, resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-file ``scores`` (``scipy.stats.bootstrap``); one file
    or identical scores give the mean itself at both ends."""
    from scipy.stats import bootstrap

    scores = np.asarray(scores, dtype=float)
    if len(scores) < 2 or np.ptp(scores) == 0:
        mean = float(scores.mean()) if len(scores) else 0.0
        return mean, mean
    result = bootstrap((scores,), np.mean, confidence_level=level, n_resamples=resamples, method="percentile",
                       random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def paired_difference(a, b, level: float = 0.95, resamples: int = 10_000, seed: int = 0) -> dict:
    """System A against system B on the same files (per-file scores ``a`` and ``b``, in the same order): the
    mean difference A - B, its paired bootstrap interval, and the files A scores higher, lower, the same."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired scores need the same files; got {a.shape} and {b.shape}")
    low, high = bootstrap_interval(a - b, level, resamples, seed)
    return {"difference": float((a - b).mean()) if len(a) else 0.0, "low": low, "high": high,
            "better": int((a > b).sum()), "worse": int((a < b).sum()), "same": int((a == b).sum())}
