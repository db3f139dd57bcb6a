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
    at = AppTest.from_file("../views/runs_page.py", default_timeout=600)  # a guard against hangs: a busy shared machine is slow
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


def figures(at) -> dict:
    """The page's plotly figures by title."""
    import json

    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {spec["layout"]["title"]["text"]: spec for spec in specs}


def test_confusion_and_recall_name_all_24_keys(runs):
    from core.keys import Key

    at = page({"ru_runs": "abc123"})
    names = [Key.from_index(i).name for i in range(24)]
    shown = figures(at)
    assert shown["Confusion (counts)"]["layout"]["xaxis"]["tickvals"] == names
    assert shown["Confusion (counts)"]["layout"]["yaxis"]["tickvals"] == names
    assert shown["Per-class recall"]["layout"]["xaxis"]["tickvals"] == names


def test_filter_and_activation_panels_are_titled_and_sized_to_their_rows(runs):
    shown = figures(page({"ru_filters": "abc123"}))
    kernels = shown["8 filters of the first convolution"]
    maps = next(spec for title, spec in shown.items() if title.startswith("First-layer activations"))
    for spec in (kernels, maps):
        assert sorted(a["text"] for a in spec["layout"]["annotations"]) == [f"filter {i}" for i in range(1, 9)]
    # one row of tiny square kernels is short; two rows of 48x64 maps are taller; no fixed 450 px box
    assert kernels["layout"]["height"] < 450 < maps["layout"]["height"]


def test_runs_are_deleted_after_a_confirmation(runs):
    import json
    import os

    (runs / "busy1").mkdir()
    (runs / "busy1" / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid()}))
    at = page({"ru_runs": "abc123"})
    assert "default" not in at.multiselect(key="ru_del").options
    at.multiselect(key="ru_del").set_value(["killed1", "busy1"]).run()
    assert at.button(key="ru_del_go").disabled and (runs / "killed1").is_dir()
    at.checkbox(key="ru_del_ok").check().run()
    assert not at.button(key="ru_del_go").disabled
    at.button(key="ru_del_go").click().run()
    assert not at.exception
    assert not (runs / "killed1").exists() and (runs / "busy1").is_dir() and (runs / "abc123").is_dir()
    assert any("Deleted 1 run(s): killed1" in s.value for s in at.success)
    assert any("busy1" in e.value and "training" in e.value for e in at.error)
    assert "killed1" not in at.multiselect(key="ru_del").options
    assert at.multiselect(key="ru_runs").value == ["abc123"]


@pytest.fixture
def songs(tmp_path):
    """A labels CSV of three generated recordings."""
    from tests.audio_fixtures import write_key_audio

    keys = {"c.wav": "C major", "a.flac": "A minor", "g.ogg": "G major"}
    for name, key in keys.items():
        write_key_audio(tmp_path / "songs" / name, key, seconds=4.0)
    csv = tmp_path / "songs" / "labels.csv"
    pd.DataFrame({"file": list(keys), "key": list(keys.values())}).to_csv(csv, index=False)
    return csv


def test_a_labels_csv_is_scored_with_the_test_split_charts_once(runs, songs, monkeypatch):
    import os

    import core.evaluation.scoring

    calls = []
    real = core.evaluation.scoring.evaluate_labels
    monkeypatch.setattr(core.evaluation.scoring, "evaluate_labels", lambda *a, **k: calls.append(a) or real(*a, **k))
    query = {"ru_runs": "", "ru_model": "template:krumhansl", "ru_labels": str(songs)}
    at = page(query)
    assert not at.exception and "Per-class recall" not in figures(at)  # nothing compared, nothing scored yet
    at.button(key="ru_score").click().run()
    assert not at.exception and len(calls) == 1
    assert {"Confusion (counts)", "Per-class recall", "MIREX breakdown"} <= set(figures(at))
    files = at.dataframe[-1].value
    assert sorted(files["true_key"]) == ["A minor", "C major", "G major"]
    assert at.dataframe[-2].value["files"].iloc[0] == 3
    again = page(query)  # another session: served from the store, no button needed
    assert len(calls) == 1 and "Per-class recall" in figures(again)
    os.utime(songs, (songs.stat().st_atime, songs.stat().st_mtime + 5))  # the CSV changed: scored afresh
    changed = page(query)
    assert "Per-class recall" not in figures(changed)
    changed.button(key="ru_score").click().run()
    assert len(calls) == 2


def test_a_bad_labels_csv_gets_one_clear_message(runs, tmp_path):
    at = page({"ru_runs": "", "ru_labels": str(tmp_path / "missing.csv")})
    assert not at.exception and any("no such file" in e.value for e in at.error)
    bad = tmp_path / "bad.csv"
    bad.write_text("file,key\nnowhere.wav,H major\n")
    at = page({"ru_runs": "", "ru_model": "template:krumhansl", "ru_labels": str(bad)})
    at.button(key="ru_score").click().run()
    assert not at.exception and any("Cannot score" in e.value and "line 2: unknown key" in e.value
                                    and "H major" not in e.value for e in at.error)
