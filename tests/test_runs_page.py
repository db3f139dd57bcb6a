import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.paths import MODELS_DIR


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """A real finished run (the shipped keynet-default files) and a killed run without predictions."""
    monkeypatch.setenv("KEYSCOPE_RUNS", str(tmp_path))
    shutil.copytree(MODELS_DIR / "keynet-default", tmp_path / "abc123")
    killed = tmp_path / "killed1"
    shutil.copytree(MODELS_DIR / "keynet-default", killed)
    (killed / "predictions.csv").unlink()
    (killed / "status.json").write_text('{"state": "stopped", "epoch": 3}')
    return tmp_path


def test_baselines_beside_cnn_on_same_clips(runs):
    predictions = runs / "abc123" / "predictions.csv"
    frame = pd.read_csv(predictions)
    frame[frame["track_id"].isin(frame["track_id"].unique()[:3])].to_csv(predictions, index=False)
    at = page({"ru_runs": "abc123", "ru_base": "on"})
    assert not at.exception
    table = at.dataframe[2].value
    assert list(table["estimator"]) == ["CNN (windows)", "template:krumhansl (clips)", "template:temperley (clips)",
                                        "template:aarden (clips)"]
    assert table["accuracy"].between(0, 1).all()


def page(query=None):
    at = AppTest.from_file("../pages/runs_page.py", default_timeout=60)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at.run()


def test_runs_compared_and_unfinished_marked(runs):
    at = page({"ru_runs": "abc123", "ru_norm": "normalised"})
    assert not at.exception
    assert at.multiselect(key="ru_runs").value == ["abc123"]
    assert "killed1" not in at.multiselect(key="ru_runs").options
    assert any("killed1 (stopped)" in c.value for c in at.caption)
    assert any("Run abc123" in h.value for h in at.subheader)


def test_malformed_param_warns_and_falls_back(runs):
    at = page({"ru_norm": "sideways"})
    assert not at.exception
    assert at.warning and at.radio(key="ru_norm").value == "counts"


def test_filters_and_activations_for_a_test_track(runs):
    track = pd.read_csv(runs / "abc123" / "predictions.csv")["track_id"].iloc[-1]
    at = page({"ru_filters": "abc123", "ru_track": track})
    assert not at.exception and at.selectbox(key="ru_track").value == track
    assert not [w for w in at.warning if "not in the test split" in w.value]
    assert page({"ru_filters": "abc123", "ru_track": "nope"}).selectbox(key="ru_track").value != "nope"
