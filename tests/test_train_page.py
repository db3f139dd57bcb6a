"""The Train page with Streamlit's AppTest: settings in the URL, presets, cached runs, background training."""
import time

import pytest
from streamlit.testing.v1 import AppTest

from core.models.config import RunConfig
from core.models.representations import REPRESENTATIONS
from core.models.runs import get_run
from core.training.launch import start_in_background

PAGE = "../views/train_page.py"


@pytest.fixture(autouse=True)
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("KEYSCOPE_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


def _open(**params):
    app = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in params.items():
        app.query_params[name] = value
    return app.run()


def _text(app):
    return " ".join(e.value for e in [*app.success, *app.info, *app.warning, *app.error])


def test_page_renders_defaults_and_keeps_settings_in_the_url():
    app = _open()
    assert not app.exception
    assert app.selectbox(key="tr_model").value == "keynet"
    app.number_input(key="tr_epochs").set_value(7).run()
    assert app.query_params["tr_epochs"] == "7"


def test_url_restores_view_and_bad_values_warn():
    app = _open(tr_opt="sgd", tr_lr="0.01", tr_batch="oops")
    assert not app.exception
    assert app.selectbox(key="tr_opt").value == "sgd"
    assert app.number_input(key="tr_lr").value == pytest.approx(0.01)
    assert app.number_input(key="tr_batch").value == 16
    assert any("tr_batch" in w.value for w in app.warning)


def test_seed_preset_loads_the_capstone_settings():
    app = _open()
    app.selectbox(key="tr_preset").set_value("seed").run()
    assert app.selectbox(key="tr_model").value == "seed"
    assert app.selectbox(key="tr_loss").value == "mse"
    assert app.number_input(key="tr_batch").value == 10
    assert app.query_params["tr_loss"] == "mse"


def test_start_trains_in_background_then_serves_from_cache():
    params = dict(tr_epochs="1", tr_data="synthetic:96")
    app = _open(**params)
    assert "Served from cache" not in _text(app)
    app.button(key="tr_start").click().run()
    assert not app.exception
    config = RunConfig(input_shape=REPRESENTATIONS["semitone"].input_shape, epochs=1, data="synthetic:96")
    deadline = time.time() + 120
    while time.time() < deadline and getattr(get_run(config), "state", None) != "finished":
        time.sleep(0.5)
    assert get_run(config).state == "finished"
    again = _open(**params)
    assert "Served from cache" in _text(again)
    assert any(m.label == "accuracy" for m in again.metric)


def test_running_run_is_watched_and_the_stop_button_stops_it(runs):
    config = RunConfig(input_shape=REPRESENTATIONS["semitone"].input_shape, epochs=300, data="synthetic:96")
    proc = start_in_background(config)
    deadline = time.time() + 120
    while time.time() < deadline and (getattr(get_run(config), "status", {}) or {}).get("epoch", 0) < 1:
        time.sleep(0.3)
    app = _open(tr_epochs="300", tr_data="synthetic:96")
    assert not app.exception
    assert any("running" in p.proto.text for p in app.get("progress"))
    app.button(key="tr_stop").click().run()
    assert proc.wait(timeout=120) == 0
    assert get_run(config).state == "stopped"


def test_metrics_are_named_as_on_the_runs_page(runs):
    import shutil

    from core.paths import MODELS_DIR

    config = RunConfig(input_shape=REPRESENTATIONS["semitone"].input_shape, epochs=1, data="synthetic:96")
    shutil.copytree(MODELS_DIR / "keynet-default", runs / config.id)  # a finished run with these settings
    app = _open(tr_epochs="1", tr_data="synthetic:96")
    assert not app.exception and "Served from cache" in _text(app)
    assert [m.label for m in app.metric] == ["accuracy", "MIREX weighted", "macro F1", "seed batch F1"]
    assert any("99 test examples" in c.value for c in app.caption)


@pytest.mark.parametrize("preset", ["eqkey", "eqkey-v2"])
def test_a_real_music_preset_names_the_command_that_makes_its_data_before_start(runs, tmp_path, monkeypatch, preset):
    from core import paths

    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")  # no generated corpus on this machine
    app = _open()
    app.selectbox(key="tr_preset").set_value(preset).run()
    assert not app.exception
    assert (app.selectbox(key="tr_model").value, app.selectbox(key="tr_rep").value) == ("eqkey", "tuned")
    assert app.text_input(key="tr_data").value.startswith("synth:") and app.number_input(key="tr_width").value == 16
    assert len(app.error) == 1 and "`python -m core corpus --recipe " in app.error[0].value
    app.button(key="tr_start").click().run()
    assert not app.exception and len(app.error) == 1
    assert not runs.exists() or not any(runs.iterdir())
