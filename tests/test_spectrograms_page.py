"""The Spectrograms page, driven with Streamlit's AppTest on a tiny rendered corpus."""
from __future__ import annotations

import plotly.io
import pytest
from streamlit.testing.v1 import AppTest

from core import paths
from core.data.corpus import build_corpus
from core.data.spectrograms import axes, features
from core.keys import CLASS_NAMES, Key

PAGE = str(paths.ROOT / "views" / "spectrograms_page.py")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    build_corpus(out, size=24, seed=2, max_tunes=1, seconds=2.0)
    return out


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"


@pytest.fixture
def app(corpus, cache, monkeypatch):
    monkeypatch.setattr(paths, "DEFAULT_CATALOG", corpus / "msd_summary_file.h5")
    monkeypatch.setattr(paths, "DEFAULT_AUDIO_DIR", corpus / "audio")

    def make(**params):
        at = AppTest.from_file(PAGE, default_timeout=60)
        for name, value in params.items():
            at.query_params[name] = value
        return at.run()
    return make


def test_representations_come_from_the_feature_store_once(corpus, cache):
    clip = next((corpus / "audio").rglob("*.ogg"))
    shapes = {rep: features([clip], rep)[0][str(clip)].shape for rep in ("stft162", "logspec", "chroma")}
    assert shapes["stft162"] == (162, 162) and shapes["logspec"][0] == 144 and shapes["chroma"][0] == 12
    shards = sorted(cache.rglob("shard-*.h5"))
    assert len(shards) == 3
    again, errors = features([clip, corpus / "nope.ogg"], "logspec")
    assert sorted(cache.rglob("shard-*.h5")) == shards  # served from the store, nothing extracted twice
    assert list(again) == [str(clip)] and "nope.ogg" in errors[str(corpus / "nope.ogg")]
    with pytest.raises(ValueError, match="feature kind"):
        features([clip], "mel")


def test_axes_name_seconds_and_notes_for_each_representation():
    for representation, frames in (("logspec", 76), ("chroma", 76), ("stft162", 162)):
        times, rows, notes = axes(representation, frames)
        assert len(times) == frames and times[0] == 0 and times[-1] == pytest.approx(15.0, abs=0.3)
        assert rows == sorted(rows) and len(rows) == len(notes)
    assert axes("chroma", 10)[2] == ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    _, rows, notes = axes("stft162", 162)
    assert notes[:2] == ["A4", "A5"] and rows[1] == pytest.approx(2 * rows[0], abs=1)  # linear: an octave doubles


def test_picking_a_class_shows_its_clips_and_profile_and_goes_into_the_url(app):
    at = app()
    assert not at.exception and not at.warning
    at.selectbox(key="sp_class").set_value(Key.parse("F# minor").index).run()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["F# minor"]
    assert at.query_params["sp_class"] == str(Key.parse("F# minor").index)
    assert len(at.get("plotly_chart")) == 1 and len(at.get("audio")) == 1  # one clip per class in this corpus
    figure = plotly.io.from_json(at.get("plotly_chart")[0].proto.spec)
    assert figure.layout.xaxis.title.text == "time (s)"
    assert list(figure.layout.yaxis.ticktext) == ["C1", "C2", "C3", "C4", "C5", "C6"]  # logspec: each C
    assert len(at.get("vega_lite_chart")) == 1


def test_representation_switch_and_comparison(app):
    at = app()
    at.radio(key="sp_rep").set_value("chroma").run()
    at.selectbox(key="sp_vs").set_value(0).run()
    assert not at.exception
    assert [s.value for s in at.subheader] == [CLASS_NAMES[1], CLASS_NAMES[0]]
    assert at.query_params["sp_rep"] == "chroma" and at.query_params["sp_vs"] == "0"


def test_a_link_restores_the_view(app):
    at = app(sp_class="23", sp_rep="stft162", sp_vs="9")
    assert not at.exception and not at.warning
    assert at.selectbox(key="sp_class").value == 23 and at.radio(key="sp_rep").value == "stft162"
    assert [s.value for s in at.subheader] == ["B major", CLASS_NAMES[9]]


def test_malformed_parameters_warn_and_fall_back(app):
    at = app(sp_class="99", sp_rep="wavelet")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "sp_class" in warnings and "sp_rep" in warnings
    assert at.selectbox(key="sp_class").value == 1 and at.radio(key="sp_rep").value == "logspec"


def test_two_tracks_side_by_side_and_an_unknown_track_warns(app, corpus):
    import pandas as pd

    track = pd.read_csv(corpus / "labels.csv")["file"].iloc[3].split("/")[-1].removesuffix(".ogg")
    at = app(sp_ta=track, sp_tb="TRNOSUCHTRACK0000")
    assert not at.exception
    assert at.selectbox(key="sp_ta").value == track and at.selectbox(key="sp_tb").value == ""
    assert "TRNOSUCHTRACK0000" in " ".join(w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 2  # the class gallery's one clip and track A
    assert at.query_params["sp_ta"] == track and "sp_tb" not in at.query_params
