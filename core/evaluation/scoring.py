"""Score any estimator on a labelled set: a ``file,key`` labels CSV, or a run's stored test predictions."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from core.estimate.estimators import KeyEstimator
from core.estimate.song import predict_song
from core.evaluation.metrics import bootstrap_interval, summary
from core.models.runs import run_data


def evaluate_labels(labels_csv: str | Path, estimator: KeyEstimator,
                    progress: Callable[[Iterable], Iterable] = iter, scheduler: str | None = None,
                    within: tuple[Path, ...] | None = None,
                    outcomes: Callable[[list[str]], Iterable[tuple]] | None = None) -> dict:
    """``core.evaluation.metrics.summary`` of ``estimator`` on the files of a labels CSV, plus ``seconds``, per-file rows
    (``files``: file, true_key, predicted_key, probability, relation, score), ``skipped`` ({file, reason}) and
    ``mirex_interval``: the 95 % bootstrap interval of the MIREX weighted score over the files.

    ``progress`` wraps the file loop (tqdm on the command line). Each file goes through
    :func:`core.estimate.song.predict_song`, the path ``predict`` and the Predict page take. A file that cannot be
    used (unreadable, silent, too short) is skipped with its reason; :class:`core.audio.decode.AudioError` only
    when none is left. With ``scheduler`` (a Dask address) the files are predicted on that cluster (the
    estimator is sent to each worker once; the files' paths must be readable there). ``within`` (public mode's roots):
    every file the CSV names must lie inside them. ``outcomes(paths)``, when given, yields each file's
    ``(probabilities, None)`` or ``(None, reason)`` in order instead (a server's page: :func:`file_probas` in its
    analysis workers, so no file is decoded in the server process).
    """
    from core.audio.decode import AudioError
    from core.audio.index import read_labels
    from core.runtime.parallel import imap

    labels = read_labels(labels_csv, within)
    if labels.empty:
        raise ValueError(f"{labels_csv}: no labelled files")
    start = time.perf_counter()
    scored, probas, skipped = [], [], []
    files = list(zip(labels["audio_path"], 2 * labels["key"] + labels["mode"]))
    if outcomes is None:
        results = imap(_file_proba, [(path,) for path, _ in files], scheduler=scheduler, shared=(estimator,))
    else:
        results = outcomes([path for path, _ in files])
    for (path, true), (proba, error) in zip(progress(files), results):
        if error is not None:
            skipped.append({"file": path, "reason": error})
            continue
        probas.append(proba)
        scored.append((path, int(true)))
    seconds = time.perf_counter() - start
    if not probas:
        raise AudioError(f"{labels_csv}: no file could be scored: " + "; ".join(s["reason"] for s in skipped[:5]))
    y_true, proba = np.array([true for _, true in scored]), np.stack(probas)
    result = summary(y_true, proba)
    files = [file_row(path, true, row) for (path, true), row in zip(scored, proba)]
    result.update(model=estimator.name, seconds=seconds, skipped=skipped, files=files,
                  mirex_interval=bootstrap_interval([row["score"] for row in files]))
    return result


def _file_proba(estimator: KeyEstimator, path: str) -> tuple[np.ndarray | None, str | None]:
    """A file's key probabilities, or why it cannot be used (runs here or on a Dask worker)."""
    from core.audio.decode import AudioError

    try:
        return predict_song(path, estimator).proba, None
    except AudioError as err:
        return None, str(err)


def file_probas(paths: list[str], model: str) -> list[tuple[np.ndarray | None, str | None]]:
    """Each file's key probabilities, or why it cannot be used, by the estimator named ``model`` (loaded once
    per worker process): the work of :func:`evaluate_labels` as a server's analysis worker does it."""
    from core.estimate.analysis_pool import worker_estimator

    estimator = worker_estimator(model)
    return [_file_proba(estimator, path) for path in paths]


def file_row(file: str, true: int, proba: np.ndarray) -> dict:
    """One scored file: its true and predicted key, the prediction's probability, MIREX relation and score."""
    from core.keys import MIREX_WEIGHTS, Key

    truth, predicted = Key.from_index(true), Key.from_index(int(np.argmax(proba)))
    relation = predicted.relation_to(truth)
    return {"file": file, "true_key": truth.name, "predicted_key": predicted.name,
            "probability": round(float(np.max(proba)), 4), "relation": relation, "score": MIREX_WEIGHTS[relation]}


def evaluate_run(folder: str | Path) -> dict:
    """``core.evaluation.metrics.summary`` of a run's stored test-split predictions (``predictions.csv``)."""
    frame = pd.read_csv(Path(folder) / "predictions.csv")
    proba = frame[[f"p{i}" for i in range(24)]].to_numpy(dtype=float)
    return summary(frame["class_index"].to_numpy(dtype=int), proba)


def evaluate_on_run_split(folder: str | Path, estimator: KeyEstimator,
                          progress: Callable[[Iterable], Iterable] = iter) -> dict:
    """``core.evaluation.metrics.summary`` of ``estimator`` on the audio of a run's test tracks, one estimate per clip.

    Puts baselines beside a CNN on the same test split; the clips are found by :func:`clip_path`. Raises
    FileNotFoundError, one line naming no folder, saying how to make the clips when any is missing.
    """
    tracks = pd.read_csv(Path(folder) / "predictions.csv", usecols=["track_id", "class_index"]).drop_duplicates("track_id")
    clips = [clip_path(track, index, run_data(folder)) for track, index in zip(tracks["track_id"], tracks["class_index"])]
    missing = sum(not clip.is_file() for clip in clips)
    if missing:
        raise FileNotFoundError(f"{missing} of {len(clips)} test clips not found; {missing_clips_hint(folder)}")
    start = time.perf_counter()
    probas = [predict_song(path, estimator).proba for path in progress(clips)]
    result = summary(tracks["class_index"].to_numpy(dtype=int), np.stack(probas))
    result.update(model=estimator.name, seconds=time.perf_counter() - start)
    return result


def _first_conv(model):
    for layer in model.layers:
        weights = layer.get_weights()
        if weights and weights[0].ndim == 4:
            return layer
    raise ValueError("the model has no 2-D convolution")


def first_layer_activations(model, x: np.ndarray) -> np.ndarray:
    """(filters, height, width) outputs of the first 2-D convolution for one input ``x`` (model input shape),
    for a :class:`core.models.network.Network` or a Keras model."""
    layer, batch = _first_conv(model), np.asarray(x, dtype=np.float32)[None]
    if hasattr(model, "output_of"):
        return np.transpose(model.output_of(layer, batch)[0], (2, 0, 1))
    import keras

    return np.transpose(np.asarray(keras.Model(model.inputs, layer.output)(batch))[0], (2, 0, 1))


def clip_path(track_id: str, class_index: int, spec: str = "corpus") -> Path:
    """The audio of a run's test track, for the run's data spec: an absolute path as it is (runs written before
    ids were relative), a path relative to :func:`core.data.datasets.corpus_root` for generated or labelled audio,
    else the bundled corpus clip ``<key>-<mode>/<track_id>.ogg``."""
    from core.data.corpus import clip_file
    from core.data.datasets import corpus_root
    from core.paths import DEFAULT_AUDIO_DIR

    path, root = Path(track_id), corpus_root(spec)
    if path.is_absolute():
        return path
    if root is not None:
        return root / path
    return clip_file(DEFAULT_AUDIO_DIR, track_id, int(class_index))


def missing_clips_hint(folder: str | Path) -> str:
    """How to make a run's missing test clips: :func:`core.data.datasets.build_hint` with its ``data.json``."""
    import json

    from core.data.datasets import build_hint

    try:
        corpora = json.loads((Path(folder) / "data.json").read_text()).get("corpora")
    except (OSError, ValueError):
        corpora = None
    return build_hint(run_data(folder), corpora)


def test_clip(folder: str | Path, track_id: str) -> Path:
    """The audio of one of a run's test tracks."""
    frame = pd.read_csv(Path(folder) / "predictions.csv", usecols=["track_id", "class_index"])
    index = int(frame.loc[frame["track_id"] == track_id, "class_index"].iloc[0])
    return clip_path(track_id, index, run_data(folder))


def first_layer_filters(model) -> np.ndarray:
    """(filters, height, width) kernels of the first 2-D convolution (input channels averaged)."""
    return np.transpose(_first_conv(model).get_weights()[0].mean(axis=2), (2, 0, 1))
