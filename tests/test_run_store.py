"""One run store: a run folder reads the same state through every reader (store, Runs page, Train page)."""
import json
import subprocess
import sys

from streamlit.testing.v1 import AppTest

from core.models.runs import all_runs, get_run, list_runs
from tests.conftest import train_page_config


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_whose_process_died_is_interrupted_on_every_page(tmp_path, monkeypatch):
    monkeypatch.setenv("KEYSCOPE_RUNS", str(tmp_path))
    config = train_page_config("synthetic:48")
    folder = tmp_path / config.id
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config.to_dict()))
    (folder / "status.json").write_text(json.dumps({"state": "running", "epoch": 1, "epochs": config.epochs,
                                                    "pid": _dead_pid()}))
    assert get_run(config.id).state == "interrupted"
    assert {run.id: run.state for run in list_runs()}[config.id] == "interrupted"
    assert all_runs()[config.id].state == "interrupted"

    runs_page = AppTest.from_file("../views/runs_page.py", default_timeout=120).run()
    assert not runs_page.exception
    assert f"{config.id} (interrupted)" in " ".join(c.value for c in runs_page.caption)

    train_page = AppTest.from_file("../views/train_page.py", default_timeout=60)
    train_page.query_params["tr_data"] = "synthetic:48"
    train_page.run()
    assert not train_page.exception
    assert any(f"Run `{config.id}` is interrupted" in info.value for info in train_page.info)
