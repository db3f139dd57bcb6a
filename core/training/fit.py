"""Cached, locked, resumable training runs.

A :class:`RunConfig` hashes to a folder ``RUNS_DIR/<id>/`` holding ``config.json``,
``status.json`` (written atomically), ``history.csv`` (Keras CSVLogger),
``model.keras``, ``predictions.csv`` (test set: track_id, class_index, p0..p23) and
``metrics.json``. The same config again returns the stored run; a lock file makes two
concurrent requests train once; a killed or stopped run resumes from its last epoch checkpoint.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from core import paths
from core.keys import N_CLASSES
from core.models.builders import EQKEY_INPUT_SHAPE, KEYNET_INPUT_SHAPE, SEED_INPUT_SHAPE

STATUSES = ("running", "finished", "failed", "stopped", "interrupted")
STOP_FILE = "STOP"
WATCH_FILE = "WATCHED"  # a page watching the run touches it; a run started with watched=True stops when it goes stale
WATCH_TIMEOUT_S = 60.0


class LimitError(ValueError):
    """A run this server will not start now (too many running, too many epochs, too much data)."""


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides what a training run learns; its hash names the run folder."""

    model: str = "keynet"
    input_shape: tuple[int, int, int] = KEYNET_INPUT_SHAPE
    representation: str = "semitone"
    loss: str = "categorical_crossentropy"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    epochs: int = 10
    batch_size: int = 16
    augment: bool = True
    data: str = "corpus"  # the bundled corpus; "synthetic:N" for generated examples
    split_seed: int = 0
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    width: int | None = None  # filters of the first block (keynet, eqkey); None: the builder's default
    init: str | None = None  # a model whose weights the network starts from ("default", a shipped name, a run id)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", tuple(int(v) for v in self.input_shape))
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {sorted(LOSSES)}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose 'adam' or 'sgd'")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("epochs and batch size must be at least 1 and lr positive")
        if not 0 < self.test_fraction < 1 or not 0 <= self.val_fraction < 1 - self.test_fraction:
            raise ValueError("test fraction must be in (0, 1) and val fraction in [0, 1 - test)")

    @property
    def id(self) -> str:
        """A stable 12-hex-digit hash of the settings (an unset width or init is left out, so runs made before
        those settings existed keep their ids)."""
        data = {k: v for k, v in self.to_dict().items() if v is not None or k not in ("width", "init")}
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["input_shape"] = list(self.input_shape)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown run settings: {sorted(unknown)}")
        return cls(**data)


LOSSES = {"categorical_crossentropy": "categorical_crossentropy", "mse": "mean_squared_error"}

# Feature representations a run can ask for, with the input shape the model gets.
REPRESENTATIONS: dict[str, tuple[int, int, int]] = {"semitone": KEYNET_INPUT_SHAPE, "stft162": SEED_INPUT_SHAPE,
                                                     "tuned": EQKEY_INPUT_SHAPE}

# The capstone's original settings: reproduce why it learned nothing, then change one at a time.
PRESETS: dict[str, dict[str, Any]] = {
    "seed": dict(model="seed", input_shape=SEED_INPUT_SHAPE, representation="stft162", loss="mse",
                 optimizer="sgd", lr=1e-4, momentum=0.8, batch_size=10, augment=False),
    "keynet": dict(model="keynet", input_shape=KEYNET_INPUT_SHAPE, representation="semitone",
                   loss="categorical_crossentropy", optimizer="adam", lr=1e-3, momentum=0.0,
                   batch_size=16, augment=True),
    # The real-music model, shipped as models/eqkey-v1: tuned semitones, transposition-equivariant, trained on
    # a generated corpus
    # (`python -m core corpus --recipe popular`, `--recipe bluesrock --size 720`, `--recipe tunes --size 1200`).
    "eqkey": dict(model="eqkey", input_shape=EQKEY_INPUT_SHAPE, representation="tuned",
                  loss="categorical_crossentropy", optimizer="adam", lr=1e-3, momentum=0.0, batch_size=32,
                  augment=True, epochs=20, width=16, data="synth:popular-s0+bluesrock-s0+tunes-s0"),
    # The shipped default: eqkey fine-tuned from eqkey-v1 (models/eqkey-v1, the "eqkey" preset's run) on tonal
    # cadences with major dominants in minor keys beside popular arrangements and folk tunes
    # (`corpus --recipe cadence --size 720`, `--recipe cadence --seed 1 --size 360`, `--recipe popular --size 384`,
    # `--recipe tunes --size 240`).
    "eqkey-v2": dict(model="eqkey", input_shape=EQKEY_INPUT_SHAPE, representation="tuned",
                     loss="categorical_crossentropy", optimizer="adam", lr=3e-4, momentum=0.0, batch_size=32,
                     augment=True, epochs=10, width=16, init="eqkey-v1",
                     data="synth:cadence-s0+cadence-s1+popular-s0+tunes-s0"),
}


def preset(name: str, **overrides: Any) -> RunConfig:
    """A config from a named preset with some settings changed."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return RunConfig(**{**PRESETS[name], **overrides})


# -- run folders ---------------------------------------------------------------
@dataclass
class Run:
    """A run folder and what its files say."""

    id: str
    folder: Path
    config: RunConfig | None
    status: dict[str, Any] = field(default_factory=dict)
    cached: bool = False

    @property
    def state(self) -> str:
        return self.status.get("state", "unknown")

    @property
    def metrics(self) -> dict[str, Any]:
        return _read_json(self.folder / "metrics.json") or {}

    def history(self):
        """Per-epoch history as a DataFrame (empty before the first epoch)."""
        import pandas as pd

        path = self.folder / "history.csv"
        try:
            return pd.read_csv(path).drop_duplicates("epoch", keep="last")  # a resumed epoch is logged again
        except (FileNotFoundError, pd.errors.EmptyDataError):
            return pd.DataFrame()


def runs_dir() -> Path:
    """Where runs live (``KEYSCOPE_RUNS`` is read at call time so tests can move it)."""
    value = os.environ.get("KEYSCOPE_RUNS")
    return Path(value) if value else paths.RUNS_DIR


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError, OSError):
        return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def _pid_alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, TypeError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def _load_run(folder: Path) -> Run:
    raw = _read_json(folder / "config.json")
    try:
        config = RunConfig.from_dict(raw) if raw else None
    except (TypeError, ValueError):
        config = None
    status = _read_json(folder / "status.json") or {"state": "unknown"}
    if status.get("state") == "running" and not _pid_alive(status.get("pid")):
        status = {**status, "state": "interrupted"}
    return Run(folder.name, folder, config, status)


def get_run(config_or_id: RunConfig | str) -> Run | None:
    """The stored run for a config or run id, or None when there is none."""
    run_id = config_or_id.id if isinstance(config_or_id, RunConfig) else str(config_or_id)
    folder = runs_dir() / run_id
    return _load_run(folder) if folder.is_dir() else None


def list_runs() -> list[Run]:
    """Every run folder, newest first; broken or half-written folders are listed, never raised on."""
    root = runs_dir()
    if not root.is_dir():
        return []
    runs = [_load_run(folder) for folder in root.iterdir() if folder.is_dir() and not folder.name.startswith(".")]
    return sorted(runs, key=lambda r: r.status.get("started", 0) or 0, reverse=True)


def request_stop(run_id: str) -> None:
    """Ask a training run to stop after the current batch (a flag file read by a callback)."""
    folder = runs_dir() / run_id
    if folder.is_dir():
        (folder / STOP_FILE).touch()


def delete_run(run_id: str) -> None:
    """Delete a run folder under :func:`runs_dir`; refuses the shipped default model and a run that is training."""
    import shutil

    root = runs_dir().resolve()
    folder = (root / str(run_id)).resolve()
    if run_id == "default" or folder.is_relative_to(paths.MODELS_DIR.resolve()):
        raise ValueError("the shipped default model cannot be deleted")
    if folder.parent != root or not folder.is_dir():
        raise ValueError(f"no run {run_id!r} in {root}")
    if _load_run(folder).state == "running":
        raise ValueError(f"run {run_id} is training; stop it before deleting it")
    shutil.rmtree(folder)


def check(config: RunConfig) -> None:
    """Raise ValueError for a config that cannot train (unknown model, bad data spec), before a run folder
    exists; a finished run of it passes (its data may have moved since)."""
    from core.data import datasets
    from core.models.builders import BUILDERS

    stored = get_run(config)
    if stored is not None and stored.state == "finished":
        return
    if config.model not in BUILDERS:
        raise ValueError(f"unknown model {config.model!r}; choose one of {sorted(BUILDERS)}")
    datasets.check_spec(config.data, config.representation)
    if config.init:
        from core.estimate.estimators import model_folder

        model_folder(config.init)


def check_limits(config: RunConfig, max_runs: int, max_epochs: int, max_examples: int) -> None:
    """Raise :class:`LimitError` saying why ``config`` may not start now: ``max_runs`` already running,
    more than ``max_epochs`` epochs, or more than ``max_examples`` generated examples."""
    if config.epochs > max_epochs:
        raise LimitError(f"{config.epochs} epochs is over this server's limit of {max_epochs}")
    if config.data.startswith("synthetic:"):
        try:
            n = int(config.data.split(":", 1)[1])
        except ValueError:
            n = 0  # datasets.load names the malformed spec
        if n > max_examples:
            raise LimitError(f"synthetic:{n} is over this server's limit of {max_examples:,} examples")
    running = sum(run.state == "running" for run in list_runs())
    if running >= max_runs:
        raise LimitError(f"{running} run(s) are training already, this server's limit; wait or stop one")


def keep_watching(run_id: str) -> None:
    """Say that someone still watches the run (a run started ``watched`` stops when nobody does)."""
    path = runs_dir() / run_id / WATCH_FILE
    if path.exists():
        path.touch()


def _unwatched(folder: Path) -> bool:
    try:
        return time.time() - (folder / WATCH_FILE).stat().st_mtime > WATCH_TIMEOUT_S
    except FileNotFoundError:
        return False


BACKGROUND_NICENESS = 10


def start_in_background(config: RunConfig, watched: bool = False) -> subprocess.Popen:
    """Train in a separate ``python -m core train --config JSON`` process; output goes to ``train.log``.

    ``watched``: the run stops (resumable) when :func:`keep_watching` has not been called for
    :data:`WATCH_TIMEOUT_S`. A thread waits for the process, so a finished one never lingers as a zombie.
    The process runs :data:`BACKGROUND_NICENESS` steps nicer than this one, so the dashboard's own work
    (a visitor's key) goes first on a busy machine.
    """
    folder = runs_dir() / config.id
    check(config)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "train.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "core", "train", "--config", json.dumps(config.to_dict()),
             *(["--watched"] if watched else [])],
            cwd=paths.ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "KEYSCOPE_RUNS": str(runs_dir())},
        )
    if hasattr(os, "setpriority"):  # before TensorFlow starts its threads, which inherit it
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, process.pid, os.getpriority(os.PRIO_PROCESS, 0) + BACKGROUND_NICENESS)
    threading.Thread(target=process.wait, name=f"reap-{config.id}", daemon=True).start()
    return process


SHIPPED_FILES = ("config.json", "model.keras", "metrics.json", "history.csv", "predictions.csv", "data.json")


def ship(run: Run, dest: Path) -> Path:
    """Copy a finished run's files to ``dest`` (e.g. ``models/keynet-default``), laid out as a run folder."""
    import shutil

    if run.state != "finished":
        raise ValueError(f"run {run.id} is {run.state}; only finished runs can be shipped")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_FILES:
        if (run.folder / name).exists():  # data.json: runs from before it was written have none
            shutil.copy2(run.folder / name, dest / name)
    _write_json(dest / "status.json", {**run.status, "run_id": run.id})
    return dest


# -- training ------------------------------------------------------------------
Progress = Callable[[int, int, dict[str, float]], None]


def train(config: RunConfig, progress: Progress | None = None, verbose: int = 0, watched: bool = False) -> Run:
    """Train ``config`` (or return its stored run at once). ``progress(epoch, epochs, logs)`` after each epoch.
    ``watched``: stop (resumable) once :func:`keep_watching` goes quiet for :data:`WATCH_TIMEOUT_S`."""
    folder = runs_dir() / config.id
    check(config)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second request waits here, then finds the finished run
        run = _load_run(folder)
        if run.state == "finished":
            run.cached = True
            return run
        (folder / STOP_FILE).unlink(missing_ok=True)
        if watched:
            (folder / WATCH_FILE).touch()
        else:
            (folder / WATCH_FILE).unlink(missing_ok=True)
        _write_json(folder / "config.json", config.to_dict())
        status = {"state": "running", "epoch": 0, "epochs": config.epochs, "pid": os.getpid(),
                  "started": time.time(), "updated": time.time()}
        _write_json(folder / "status.json", status)
        try:
            state = _fit(config, folder, status, progress, verbose)
        except BaseException as err:
            _write_json(folder / "status.json", {**status, "state": "failed", "error": f"{type(err).__name__}: {err}",
                                                 "updated": time.time()})
            raise
        _write_json(folder / "status.json", {**status, "state": state, "updated": time.time(), "finished": time.time()})
        return _load_run(folder)


CHECKPOINT_GLOB = "checkpoint-*.keras"


def _save_checkpoint(model, folder: Path, epoch: int) -> None:
    """Save the whole model (weights and optimizer state) after ``epoch`` epochs.

    Written under a temporary name and renamed, so a kill at any moment leaves the
    previous checkpoint or the new one, never half of one; older ones are then removed.
    """
    tmp = folder / ".checkpoint.tmp.keras"
    model.save(tmp)
    final = folder / f"checkpoint-{epoch:05d}.keras"
    os.replace(tmp, final)
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
    _write_json(folder / "data.json", datasets.describe(config.data, data))
    train_ix, val_ix, test_ix = datasets.split(data, config.test_fraction, config.val_fraction, config.split_seed)
    model, done = _resume(folder)
    if model is None:
        model = build(config.model, config.input_shape, config.width)
        if config.init:
            model.set_weights(_initial_weights(config.init))
        optimizer = (keras.optimizers.Adam(config.lr) if config.optimizer == "adam"
                     else keras.optimizers.SGD(config.lr, momentum=config.momentum))
        model.compile(optimizer=optimizer, loss=LOSSES[config.loss], metrics=["accuracy"])
    train_data = _training_batches(data.subset(train_ix), config.batch_size, config.augment, config.split_seed)
    val = data.subset(val_ix)
    validation = (val.inputs(), keras.utils.to_categorical(val.y, N_CLASSES)) if len(val_ix) else None

    class _Status(keras.callbacks.Callback):
        """Checkpoints and writes status.json after each epoch, reports progress, honours the stop flag."""

        def on_epoch_end(self, epoch, logs=None):
            _save_checkpoint(self.model, folder, epoch + 1)
            logs = {k: float(v) for k, v in (logs or {}).items()}
            status.update(epoch=epoch + 1, updated=time.time(), logs=logs)
            _write_json(folder / "status.json", status)
            if progress:
                progress(epoch + 1, config.epochs, logs)
            if (folder / STOP_FILE).exists():
                self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            if _unwatched(folder):
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
    _write_json(folder / "metrics.json", summary(test.y, proba))
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


def _training_batches(data, batch_size: int, augment: bool, seed: int):
    """Shuffled training batches with one-hot labels and, optionally, a random transposition per example."""
    import keras

    from core.data.datasets import crop_tuned, transpose

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.augment = augment and data.semitone_axis
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(data.y))

        def __len__(self) -> int:
            return int(np.ceil(len(data.y) / batch_size))

        def __getitem__(self, index: int):
            ix = self.order[index * batch_size:(index + 1) * batch_size]
            x, y = data.x[ix], data.y[ix]
            if data.crop is not None:  # wide stored features: a random band and run of frames
                x, y = crop_tuned(x, y, *data.crop, self.rng if self.augment else None)
            elif self.augment:
                x, y = transpose(x, y, self.rng.integers(0, 12, len(ix)))
            return x, keras.utils.to_categorical(y, N_CLASSES)

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(data.y))

    return Batches()
