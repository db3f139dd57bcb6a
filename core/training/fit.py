"""Cached, locked, resumable training runs.

A :class:`RunConfig` hashes to a run folder (:mod:`core.models.runs`). The same config again returns the
stored run; a lock file makes two concurrent requests train once; a killed or stopped run resumes from its
last epoch checkpoint.
"""
from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from core.keys import N_CLASSES
from core.models.config import LOSSES, RunConfig
from core.models.runs import STOP_FILE, WATCH_FILE, Run, load_run, runs_dir, unwatched
from core.runtime.files import replacing, write_json
from core.training.launch import check

Progress = Callable[[int, int, dict[str, float]], None]


def train(config: RunConfig, progress: Progress | None = None, verbose: int = 0, watched: bool = False) -> Run:
    """Train ``config`` (or return its stored run at once). ``progress(epoch, epochs, logs)`` after each epoch.
    ``watched``: stop (resumable) once :func:`keep_watching` goes quiet for :data:`WATCH_TIMEOUT_S`."""
    folder = runs_dir() / config.id
    check(config)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second request waits here, then finds the finished run
        run = load_run(folder)
        if run.state == "finished":
            run.cached = True
            return run
        (folder / STOP_FILE).unlink(missing_ok=True)
        if watched:
            (folder / WATCH_FILE).touch()
        else:
            (folder / WATCH_FILE).unlink(missing_ok=True)
        write_json(folder / "config.json", config.to_dict())
        status = {"state": "running", "epoch": 0, "epochs": config.epochs, "pid": os.getpid(),
                  "started": time.time(), "updated": time.time()}
        write_json(folder / "status.json", status)
        try:
            state = _fit(config, folder, status, progress, verbose)
        except BaseException as err:
            write_json(folder / "status.json", {**status, "state": "failed", "error": f"{type(err).__name__}: {err}",
                                                 "updated": time.time()})
            raise
        write_json(folder / "status.json", {**status, "state": state, "updated": time.time(), "finished": time.time()})
        return load_run(folder)


CHECKPOINT_GLOB = "checkpoint-*.keras"


def _save_checkpoint(model, folder: Path, epoch: int) -> None:
    """Save the whole model (weights and optimizer state) after ``epoch`` epochs.

    Written under a temporary name and renamed, so a kill at any moment leaves the
    previous checkpoint or the new one, never half of one; older ones are then removed.
    """
    final = folder / f"checkpoint-{epoch:05d}.keras"
    with replacing(final) as tmp:
        model.save(tmp)
    for old in folder.glob(CHECKPOINT_GLOB):
        if old != final:
            old.unlink(missing_ok=True)


def _resume(folder: Path):
    """The model and epoch count of the newest loadable checkpoint, or ``(None, 0)``."""
    import keras

    from core.models.builders import fold_octaves

    fold_octaves()  # registers the custom layer the eqkey checkpoints hold
    for path in sorted(folder.glob(CHECKPOINT_GLOB), reverse=True):
        try:
            return keras.saving.load_model(path), int(path.stem.split("-")[1])
        except Exception:  # noqa: BLE001 - an unreadable checkpoint is dropped, an older one tried
            path.unlink(missing_ok=True)
    return None, 0


def _fit(config: RunConfig, folder: Path, status: dict[str, Any], progress: Progress | None, verbose: int) -> str:
    import keras

    from core.data import datasets
    from core.evaluation.metrics import summary
    from core.models.builders import build

    keras.utils.set_random_seed(config.split_seed)
    data = datasets.load(config.data, config.input_shape, config.split_seed, config.representation)
    write_json(folder / "data.json", datasets.describe(config.data, data))
    train_ix, val_ix, test_ix = datasets.split(data, config.test_fraction, config.val_fraction, config.split_seed)
    model, done = _resume(folder)
    if model is None:
        model = build(config.model, config.input_shape, config.width)
        if config.init:
            model.set_weights(_initial_weights(config.init))
        optimizer = (keras.optimizers.Adam(config.lr) if config.optimizer == "adam"
                     else keras.optimizers.SGD(config.lr, momentum=config.momentum))
        model.compile(optimizer=optimizer, loss=LOSSES[config.loss], metrics=["accuracy"])
    train_data = _training_batches(data.subset(train_ix), config.batch_size, config.augment, config.split_seed,
                                   config.max_frames, config.timbre_db)
    val = data.subset(val_ix)
    validation = (val.inputs(), keras.utils.to_categorical(val.y, N_CLASSES)) if len(val_ix) else None

    class _Status(keras.callbacks.Callback):
        """Checkpoints and writes status.json after each epoch, reports progress, honours the stop flag."""

        def on_epoch_end(self, epoch, logs=None):
            _save_checkpoint(self.model, folder, epoch + 1)
            logs = {k: float(v) for k, v in (logs or {}).items()}
            status.update(epoch=epoch + 1, updated=time.time(), logs=logs)
            write_json(folder / "status.json", status)
            if progress:
                progress(epoch + 1, config.epochs, logs)
            if (folder / STOP_FILE).exists():
                self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            if unwatched(folder):
                (folder / STOP_FILE).touch()
            if (folder / STOP_FILE).exists():
                self.model.stop_training = True

    if done < config.epochs:
        model.fit(train_data, validation_data=validation, epochs=config.epochs, initial_epoch=done,
                  verbose=verbose, callbacks=[keras.callbacks.CSVLogger(str(folder / "history.csv"), append=True),
                                              _Status()])
    model.save(folder / "model.keras")
    if (folder / STOP_FILE).exists():
        (folder / STOP_FILE).unlink()
        return "stopped"
    test = data.subset(test_ix)
    proba = model.predict(test.inputs(), verbose=0)
    _write_predictions(folder, test, proba, config.data)
    write_json(folder / "metrics.json", summary(test.y, proba))
    for path in folder.glob(CHECKPOINT_GLOB):
        path.unlink()
    return "finished"


def _initial_weights(name: str) -> list:
    """The weights of the model ``name`` (see :func:`core.estimate.estimators.model_folder`) to start a run from."""
    import keras

    from core.estimate.estimators import model_folder
    from core.models.builders import fold_octaves

    fold_octaves()
    return keras.models.load_model(model_folder(name) / "model.keras", compile=False).get_weights()


def _write_predictions(folder: Path, test, proba: np.ndarray, spec: str) -> None:
    import pandas as pd

    from core.data.datasets import relative_track_ids

    frame = pd.DataFrame(proba, columns=[f"p{i}" for i in range(N_CLASSES)])
    frame.insert(0, "class_index", test.y)
    frame.insert(0, "track_id", relative_track_ids(test.track_ids, spec))
    frame.to_csv(folder / "predictions.csv", index=False)


def _training_batches(data, batch_size: int, augment: bool, seed: int, max_frames: int | None = None,
                      timbre_db: float | None = None):
    """Shuffled training batches with one-hot labels and, optionally, a random transposition per example.
    ``max_frames`` (wide stored features): each batch a random run of the input's frames to ``max_frames``
    (an equivariant model reads any length, so it learns short excerpts and long ones); ``timbre_db``: each
    example through a random equaliser (:func:`core.data.datasets.reshape_timbre`)."""
    import keras

    from core.data.datasets import crop_tuned, reshape_timbre, transpose

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.augment = augment and data.semitone_axis
            self.rng = np.random.default_rng(seed)
            self.timbre_rng = np.random.default_rng([seed, 1])  # its own: crops and transpositions as without it
            self.order = self.rng.permutation(len(data.y))

        def __len__(self) -> int:
            return int(np.ceil(len(data.y) / batch_size))

        def __getitem__(self, index: int):
            ix = self.order[index * batch_size:(index + 1) * batch_size]
            x, y = data.x[ix], data.y[ix]
            if data.crop is not None:  # wide stored features: a random band and run of frames
                rows, frames = data.crop
                if timbre_db and self.augment:
                    x = reshape_timbre(x, self.timbre_rng, timbre_db)
                if max_frames and self.augment:
                    frames = int(self.rng.integers(frames, max_frames + 1))
                x, y = crop_tuned(x, y, rows, frames, self.rng if self.augment else None)
            elif self.augment:
                x, y = transpose(x, y, self.rng.integers(0, 12, len(ix)))
            return x, keras.utils.to_categorical(y, N_CLASSES)

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(data.y))

    return Batches()
