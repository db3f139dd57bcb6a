"""The run store: run folders and the shipped models' folders, read one way by every page and command.

A run folder ``RUNS_DIR/<id>/`` holds ``config.json``, ``status.json`` (written atomically), ``history.csv``
(Keras CSVLogger), ``model.keras``, ``predictions.csv`` (test set: track_id, class_index, p0..p23),
``metrics.json`` and ``data.json``.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import paths
from core.models.config import RunConfig
from core.runtime.files import write_json

STOP_FILE = "STOP"
WATCH_FILE = "WATCHED"  # a page watching the run touches it; a run started with watched=True stops when it goes stale
WATCH_TIMEOUT_S = 60.0


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
        return read_json(self.folder / "metrics.json") or {}

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


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError, OSError):
        return None


def _pid_alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, TypeError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def load_run(folder: Path) -> Run:
    """A run folder as every page and command reads it: its state is ``status.json``'s, except that a
    "running" run whose process is gone is "interrupted" and a "finished" one without its test predictions
    is "incomplete"."""
    raw = read_json(folder / "config.json")
    try:
        config = RunConfig.from_dict(raw) if raw else None
    except (TypeError, ValueError):
        config = None
    status = read_json(folder / "status.json") or {"state": "unknown"}
    if status.get("state") == "running" and not _pid_alive(status.get("pid")):
        status = {**status, "state": "interrupted"}
    elif status.get("state") == "finished" and not (folder / "predictions.csv").is_file():
        status = {**status, "state": "incomplete"}
    return Run(folder.name, folder, config, status)


def get_run(config_or_id: RunConfig | str) -> Run | None:
    """The stored run for a config or run id, or None when there is none."""
    run_id = config_or_id.id if isinstance(config_or_id, RunConfig) else str(config_or_id)
    folder = runs_dir() / run_id
    return load_run(folder) if folder.is_dir() else None


def list_runs() -> list[Run]:
    """Every run folder, newest first; broken or half-written folders are listed, never raised on."""
    root = runs_dir()
    if not root.is_dir():
        return []
    runs = [load_run(folder) for folder in root.iterdir() if folder.is_dir() and not folder.name.startswith(".")]
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
    if load_run(folder).state == "running":
        raise ValueError(f"run {run_id} is training; stop it before deleting it")
    shutil.rmtree(folder)


def keep_watching(run_id: str) -> None:
    """Say that someone still watches the run (a run started ``watched`` stops when nobody does)."""
    path = runs_dir() / run_id / WATCH_FILE
    if path.exists():
        path.touch()


def unwatched(folder: Path) -> bool:
    try:
        return time.time() - (folder / WATCH_FILE).stat().st_mtime > WATCH_TIMEOUT_S
    except FileNotFoundError:
        return False


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
    write_json(dest / "status.json", {**run.status, "run_id": run.id})
    return dest


def all_runs() -> dict[str, Run]:
    """Every run by name, read through :func:`load_run`: the shipped ``default`` first, the other shipped
    models, then the runs under :func:`runs_dir` (newest first)."""
    shipped = {"default": paths.DEFAULT_MODEL_DIR} if paths.DEFAULT_MODEL_DIR.is_dir() else {}
    shipped |= {name: paths.MODELS_DIR / name for name in shipped_models()}
    return {name: load_run(folder) for name, folder in shipped.items()} | {run.id: run for run in list_runs()}


def settings(folder: str | Path) -> dict[str, Any]:
    """A run folder's ``config.json`` as it is (also runs from older versions, which RunConfig may refuse);
    empty when it is missing or unreadable."""
    return read_json(Path(folder) / "config.json") or {}


def run_data(folder: str | Path) -> str:
    """The data spec a run trained on (its ``config.json``); "corpus" when it names none."""
    return settings(folder).get("data", "corpus")


def shipped_models() -> list[str]:
    """Folder names of the shipped models other than the default (each loads by its name)."""
    if not paths.MODELS_DIR.is_dir():
        return []
    return sorted(f.name for f in paths.MODELS_DIR.iterdir()
                  if (f / "model.keras").is_file() and f.resolve() != paths.DEFAULT_MODEL_DIR.resolve())
