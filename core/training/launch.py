"""Starting runs: checks before a run folder exists, a server's limits, training in a background process."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from core import paths
from core.data.specs import parse
from core.errors import KeyscopeError
from core.models.config import RunConfig
from core.models.runs import get_run, list_runs, runs_dir


def pin_data(config: RunConfig) -> RunConfig:
    """``config`` with the digest of the labels its data spec reads (:func:`core.data.datasets.labels_digest`): new
    labels under the same spec (a pool labelled again, a corpus rebuilt at another size) make a new run instead of
    finding the old one finished, and a run cannot resume on labels that changed under it."""
    from core.data.datasets import labels_digest

    return dataclasses.replace(config, data_digest=labels_digest(config.data))


class LimitError(KeyscopeError, ValueError):
    """A run this server will not start now (too many running, too many epochs, too much data)."""


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
    if config.data_digest is not None and datasets.labels_digest(config.data) != config.data_digest:
        raise ValueError(f"the labels of {config.data} changed after this run was set up; set it up again "
                         "(a run on the new labels gets an id of its own)")
    if config.init:
        from core.estimate.estimators import model_folder

        model_folder(config.init)


def check_limits(config: RunConfig, max_runs: int, max_epochs: int, max_examples: int) -> None:
    """Raise :class:`LimitError` saying why ``config`` may not start now: ``max_runs`` already running,
    more than ``max_epochs`` epochs, or more than ``max_examples`` generated examples."""
    if config.epochs > max_epochs:
        raise LimitError(f"{config.epochs} epochs is over this server's limit of {max_epochs}")
    try:
        n = parse(config.data).count  # generated examples; 0 for audio on disk
    except ValueError:
        n = 0  # check() names the malformed spec
    if n > max_examples:
        raise LimitError(f"synthetic:{n} is over this server's limit of {max_examples:,} examples")
    running = sum(run.state == "running" for run in list_runs())
    if running >= max_runs:
        raise LimitError(f"{running} run(s) are training already, this server's limit; wait or stop one")


BACKGROUND_NICENESS = 15  # behind the analysis workers (analysis_pool.NICENESS): a visitor's key before a run


def run_nicer(pid: int, steps: int) -> None:
    """Make process ``pid`` (a session of its own) ``steps`` nicer than this process, before it starts threads.

    Where the kernel schedules each session as a group (autogroup, on by default in most Linux kernels), a
    process's niceness counts only inside its group and every group gets an equal share of the cores: a run in a
    session of its own would take as much CPU as the whole dashboard. So the group is made nicer too."""
    if not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, 0) + steps)
    own, theirs = autogroup(), autogroup(pid)
    if own and theirs and theirs[0] != own[0]:  # never the dashboard's own group
        with contextlib.suppress(OSError):  # not ours to change
            Path(f"/proc/{pid}/autogroup").write_text(str(min(own[1] + steps, 19)))


def autogroup(pid: int | str = "self") -> tuple[str, int] | None:
    """The scheduling group of process ``pid`` and the group's niceness; None where the kernel reports none (no
    autogroup, or compiled in but off: the file then reads empty)."""
    with contextlib.suppress(OSError, ValueError):
        name, _, nice = Path(f"/proc/{pid}/autogroup").read_text().split()
        return name, int(nice)
    return None


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
    run_nicer(process.pid, BACKGROUND_NICENESS)
    threading.Thread(target=process.wait, name=f"reap-{config.id}", daemon=True).start()
    return process


