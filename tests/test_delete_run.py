"""core.models.runs.delete_run: deletes a run folder, refuses a training run and the shipped default."""
import json
import os
import shutil

import pytest

from core.models.runs import delete_run, list_runs
from core.paths import MODELS_DIR


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("KEYSCOPE_RUNS", str(tmp_path / "runs"))
    for run_id, state in (("done1", "finished"), ("busy1", "running")):
        (tmp_path / "runs" / run_id).mkdir(parents=True)
        (tmp_path / "runs" / run_id / "status.json").write_text(json.dumps({"state": state, "pid": os.getpid()}))
    return tmp_path / "runs"


def test_a_finished_run_is_deleted_with_its_files(runs):
    delete_run("done1")
    assert not (runs / "done1").exists()
    assert [run.id for run in list_runs()] == ["busy1"]


def test_a_training_run_is_refused_and_kept(runs):
    with pytest.raises(ValueError, match="training"):
        delete_run("busy1")
    assert (runs / "busy1" / "status.json").is_file()


def test_the_shipped_default_and_paths_outside_the_runs_folder_are_refused(runs, tmp_path):
    shutil.copytree(MODELS_DIR / "keynet-default", tmp_path / "default-copy")
    with pytest.raises(ValueError, match="shipped default"):
        delete_run("default")
    with pytest.raises(ValueError, match="no run"):
        delete_run("../default-copy")
    with pytest.raises(ValueError, match="no run"):
        delete_run("nope")
    assert (MODELS_DIR / "keynet-default" / "model.keras").is_file()
    assert (tmp_path / "default-copy" / "model.keras").is_file()
