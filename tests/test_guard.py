"""Public mode's promise on every page, through the one guard (``ui/guard.py``): Runs, Train, Dataset and
Spectrograms in public mode and out; paths that name nothing, FIFOs, symlinks out of the roots, markdown in
links, formula cells in downloads, the shipped model's machine-free test predictions."""
from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from core import paths
from core.audio.index import LabelsError, read_labels
from core.audio.walk import find_files
from core.data.datasets import build_hint, relative_track_ids
from core.data.spectrograms import DB_RANGE, for_display
from core.estimate.estimators import load_estimator
from core.evaluation.scoring import clip_path, evaluate_on_run_split, missing_clips_hint
from core.keys import Key
from core.models.config import RunConfig
from core.models.runs import run_data
from core.msd import hdf5
from core.service.access import BAD_PATH_MESSAGE, OUTSIDE_MESSAGE, BadPath, NotRegularFile, Policy, regular_file
from core.service.downloads import csv_bytes, without_formulas
from tests.audio_fixtures import write_key_audio
from tests.conftest import make_catalog_frame, train_page_config
from ui.guard import plain

SECRET = "AKIA_SECRET_TOKEN_1234"
PHISHING = "**Session expired** [Log in again](https://evil.example/login) ![](https://evil.example/pixel.png)"


def _html(markdown: str) -> str:
    """CommonMark's HTML for ``markdown`` (the browser tests check Streamlit's own renderer)."""
    return MarkdownIt("commonmark").render(markdown)


def _page(name: str, timeout: int = 120, **params) -> AppTest:
    app = AppTest.from_file(f"../views/{name}_page.py", default_timeout=timeout)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


def _lines(app) -> list[str]:
    return [str(e.value) for kind in ("error", "warning", "info") for e in app.get(kind)]


def _all_text(app) -> str:
    return " ".join(str(e.value) for kind in ("error", "warning", "info", "markdown", "caption", "success")
                    for e in app.get(kind))


@pytest.fixture
def public(monkeypatch, tmp_path):
    """Public mode with one extra root, ``tmp_path/shared``; ``tmp_path/private`` holds secrets outside it."""
    shared, private = tmp_path / "shared", tmp_path / "private"
    shared.mkdir()
    private.mkdir()
    monkeypatch.setenv("KEYSCOPE_PUBLIC", "1")
    monkeypatch.setenv("KEYSCOPE_ROOTS", str(shared))
    return shared, private


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """A runs folder with one finished server run (a copy of the shipped keynet-default)."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("KEYSCOPE_RUNS", str(folder))
    shutil.copytree(paths.MODELS_DIR / "keynet-default", folder / "server1")
    return folder


# -- core rules -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["\x00", "data/\x00.h5", "~nosuchuser/x.h5", "~nosuchuser_keyscope/x.csv"])
@pytest.mark.parametrize("public_mode", [True, False])
def test_text_that_names_no_file_is_one_line_in_both_modes(text, public_mode):
    with pytest.raises(BadPath) as info:
        Policy(public=public_mode, roots=(paths.DATA_DIR.resolve(),)).check(text)
    assert str(info.value) == BAD_PATH_MESSAGE


def _finishes(function, seconds: float = 20.0):
    """``function()``'s exception (or None), failing the test if it has not returned within ``seconds``."""
    outcome = []

    def call():
        try:
            function()
            outcome.append(None)
        except Exception as err:  # noqa: BLE001 - handed to the test
            outcome.append(err)
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, "hung on a FIFO"
    return outcome[0]


def test_fifos_and_devices_are_refused_before_anything_opens_them(tmp_path):
    for name in ("catalog.h5", "catalog.csv", "labels.csv"):
        os.mkfifo(tmp_path / name)
    assert "not a regular file" in str(_finishes(lambda: hdf5.read_catalog(tmp_path / "catalog.h5")))
    assert "not a regular file" in str(_finishes(lambda: hdf5.read_catalog(tmp_path / "catalog.csv")))
    error = _finishes(lambda: read_labels(tmp_path / "labels.csv"))
    assert isinstance(error, LabelsError) and "not a regular file" in str(error)
    with pytest.raises(NotRegularFile):
        regular_file("/dev/null")
    assert isinstance(_finishes(lambda: hdf5.read_catalog("/dev/zero")), hdf5.MSDError)


def test_folder_walks_leave_out_files_that_link_out_of_the_roots(tmp_path):
    outside, root = tmp_path / "outside", tmp_path / "root"
    hdf5.write_subset_tree(outside, make_catalog_frame(5, seed=1))
    hdf5.write_subset_tree(root, make_catalog_frame(3))
    secret_file = sorted(outside.rglob("*.h5"))[0]
    (root / "x.h5").symlink_to(secret_file)
    (root / "music").mkdir()
    write_key_audio(outside / "TRSECRET.wav", "A minor", seconds=0.5)
    (root / "music" / "TRSECRET.wav").symlink_to(outside / "TRSECRET.wav")
    roots = (root.resolve(),)
    assert root / "x.h5" in find_files(root, [".h5"])  # off public mode a link is a file like any other
    assert root / "x.h5" not in find_files(root, [".h5"], within=roots)
    assert len(hdf5.read_catalog(root)) == 4 and len(hdf5.read_catalog(root, within=roots)) == 3
    assert "TRSECRET" not in set(hdf5.read_catalog(root, within=roots)["track_id"])
    assert find_files(root / "music", [".wav"], within=roots) == []


def test_a_labels_csv_may_name_no_audio_outside_the_roots(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    write_key_audio(outside / "real.wav", "C major", seconds=0.5)
    write_key_audio(root / "mine.wav", "C major", seconds=0.5)
    (root / "labels.csv").write_text(f"file,key\nmine.wav,C major\n{outside / 'real.wav'}\tx,C major\n"
                                     f"{outside / 'real.wav'},C major\n{outside / 'gone.wav'},C major\n"
                                     "../outside/real.wav,C major\n")
    with pytest.raises(LabelsError) as info:
        read_labels(root / "labels.csv", within=(root.resolve(),))
    message = str(info.value)
    assert "4 bad row(s)" in message and message.count("audio file not available here") == 4
    assert "real.wav" not in message.split(":", 1)[1]  # lines, never the paths the CSV holds
    (root / "found.csv").write_text(f"file,key\nmine.wav,C major\n{outside / 'real.wav'},C major\n")
    assert list(read_labels(root / "found.csv")["track_id"]) == ["mine", "real"]  # off public mode: found


def test_download_cells_that_start_a_formula_are_text():
    frame = pd.DataFrame({"title": ["=HYPERLINK(\"https://evil.example\",\"x\")", "=cmd|' /C calc'!A0", "+1",
                                    "-2+3", "@SUM(A1)", "\tx", "\rx", "Plain song", None],
                          "key_confidence": [-0.5] * 9})
    safe = without_formulas(frame)
    assert list(safe["title"][:7]) == ["'" + t for t in frame["title"][:7]]
    assert safe["title"][7] == "Plain song" and pd.isna(safe["title"][8])
    assert (safe["key_confidence"] == -0.5).all()  # numbers stay numbers
    catalog = hdf5.with_key_columns(make_catalog_frame(3))
    catalog["title"] = catalog["title"].astype(object)
    catalog.loc[0, "title"] = "=cmd|' /C calc'!A0"
    text = csv_bytes(hdf5.seed_selection(catalog)).decode()
    assert ",'=cmd|' /C calc'!A0" in text.replace('"', "") and ",=cmd" not in text


def test_plain_text_renders_no_markdown():
    html = _html(f"Model '{plain(PHISHING)}' is not available\n\n{plain('# head')}")
    assert "<a" not in html and "<img" not in html and "<strong>" not in html and "<h1>" not in html
    assert "Session expired" in html and "evil.example/login" in html


# -- the shipped model ------------------------------------------------------------------------------------------

def _corpus_commands(model: Path) -> list[str]:
    """The ``python -m core corpus`` commands that make a shipped model's generated corpora (its data.json)."""
    return [f"`python -m core corpus --recipe {c['recipe']} --size {c['size']} --seed {c['seed']}`"
            for c in json.loads((model / "data.json").read_text())["corpora"]]


@pytest.mark.parametrize("name", ["eqkey-default", "eqkey-v1"])
def test_the_shipped_test_predictions_hold_no_machine_paths_and_resolve_to_one_clip_each(name):
    model = paths.MODELS_DIR / name
    frame = pd.read_csv(model / "predictions.csv", usecols=["track_id", "class_index"])
    assert not frame["track_id"].str.startswith("/").any() and not frame["track_id"].str.contains("/work/").any()
    assert run_data(model).startswith("synth:")
    for track, index in zip(frame["track_id"], frame["class_index"]):
        clip = clip_path(track, index, run_data(model))
        assert clip.parent.parent.parent.parent == paths.CACHE_DIR / "synth" and clip.parent.name == Key.from_index(
            int(index)).folder and clip.suffix == ".ogg"
    hint = missing_clips_hint(model)
    assert all(command in hint for command in _corpus_commands(model))
    assert build_hint("corpus") == "build the bundled corpus with `python -m core corpus`"
    keynet = paths.MODELS_DIR / "keynet-default"
    track = pd.read_csv(keynet / "predictions.csv")["track_id"][0]
    assert clip_path(track, 6, run_data(keynet)).is_file()  # the bundled corpus is in git


def test_new_runs_write_track_ids_relative_to_their_corpus(tmp_path):
    corpus = tmp_path / "c"
    ids = [str(corpus / "audio" / "0-0" / "a.ogg"), "/elsewhere/b.ogg"]
    assert relative_track_ids(ids, f"labels:{corpus / 'labels.csv'}") == ["audio/0-0/a.ogg", "/elsewhere/b.ogg"]
    assert relative_track_ids(["TRX"], "corpus") == ["TRX"]
    assert clip_path("audio/0-0/a.ogg", 0, f"labels:{corpus / 'labels.csv'}") == corpus / "audio" / "0-0" / "a.ogg"


@pytest.fixture
def shipped_copy(runs, tmp_path, monkeypatch):
    """The shipped eqkey run as a server run with its first three test tracks, and a fresh cache folder."""
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    folder = runs / "eqcopy"
    shutil.copytree(paths.DEFAULT_MODEL_DIR, folder)
    frame = pd.read_csv(folder / "predictions.csv")
    frame.head(3).to_csv(folder / "predictions.csv", index=False)
    return folder, frame.head(3)


def test_baselines_on_the_shipped_models_test_clips_work_when_the_clips_exist(shipped_copy):
    folder, frame = shipped_copy
    with pytest.raises(FileNotFoundError, match=r"^3 of 3 test clips not found; make the model's generated corpora"):
        evaluate_on_run_split(folder, load_estimator("template:krumhansl"))
    for track, index in zip(frame["track_id"], frame["class_index"]):
        key = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"][index // 2]
        write_key_audio(paths.CACHE_DIR / "synth" / track, f"{key} {'major' if index % 2 else 'minor'}", seconds=4.0)
    result = evaluate_on_run_split(folder, load_estimator("template:krumhansl"))
    assert result["n"] == 3 and 0.0 <= result["accuracy"] <= 1.0


# -- Runs -------------------------------------------------------------------------------------------------------

def test_runs_in_public_mode_refuse_csvs_outside_the_roots_alike_and_offer_no_deleting(public, runs):
    shared, private = public
    (private / "labels.csv").write_text(f"name,keys\n{SECRET},x\n")
    shown = set()
    for labels in ("/etc/passwd", str(private / "labels.csv"), str(private / "missing.csv"), "/proc/self/environ"):
        app = _page("runs", ru_labels=labels, ru_model="template:krumhansl")
        assert not app.exception and not [b for b in app.button if b.key == "ru_score"]
        errors = [e.value for e in app.error]
        assert len(errors) == 1 and "no such" not in errors[0]
        shown.add(errors[0])
    assert shown == {OUTSIDE_MESSAGE}
    app = _page("runs", ru_labels="~nosuchuser/x.csv")
    assert not app.exception and [e.value for e in app.error] == [BAD_PATH_MESSAGE]
    assert "ru_del" not in [m.key for m in app.multiselect]  # no Delete runs
    table = app.dataframe[0].value
    assert str(paths.ROOT) not in table.to_csv() and SECRET not in _all_text(app)


def test_runs_in_public_mode_score_no_audio_outside_the_roots(public, runs):
    shared, private = public
    write_key_audio(private / "song.wav", "A minor", seconds=1.0)
    (shared / "labels.csv").write_text(f"file,key\n{private / 'song.wav'},A minor\n../private/song.wav,A minor\n")
    app = _page("runs", ru_labels=str(shared / "labels.csv"), ru_model="template:krumhansl")
    assert not app.exception
    app.button(key="ru_score").click().run()
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "audio file not available here" in errors[0], errors
    assert str(private) not in errors[0] and str(shared) not in errors[0]  # the CSV shown relative to its root
    assert not [d for d in app.dataframe if "files" in d.value or "file" in d.value]  # no scores, no file rows


def test_runs_out_of_public_mode_say_no_such_file_and_offer_deleting(runs):
    app = _page("runs", ru_labels="/nonexistent/labels.csv")
    assert not app.exception and [e.value for e in app.error] == [
        f"{plain('/nonexistent/labels.csv')}: no such file on this server; give the path of a labels CSV."]
    assert app.multiselect(key="ru_del").options == ["server1"]  # shipped models are not offered
    app = _page("runs", ru_labels="~nosuchuser/x.csv")
    assert not app.exception and [e.value for e in app.error] == [BAD_PATH_MESSAGE]


def test_runs_echo_link_input_as_plain_text(runs):
    app = _page("runs", ru_model=PHISHING, ru_track=PHISHING)
    warnings = [w.value for w in app.warning if "Session expired" in w.value]
    assert not app.exception and len(warnings) == 2
    for warning in warnings:
        html = _html(warning)
        assert "<a" not in html and "<img" not in html and "<strong>" not in html


def test_the_shipped_models_runs_view_on_a_fresh_clone(runs, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "fresh-cache")  # no generated corpora
    app = _page("runs", ru_filters="default", ru_base="on", ru_runs="default")
    assert not app.exception
    text = " ".join(_lines(app))
    assert ".ogg.ogg" not in text and str(paths.ROOT) not in text and "/work/" not in text
    tracks = pd.read_csv(paths.DEFAULT_MODEL_DIR / "predictions.csv")["track_id"]
    assert f"Test clip {plain(Path(tracks[0]).name)} not found: make the model's generated corpora with " \
           f"{_corpus_commands(paths.DEFAULT_MODEL_DIR)[0]}" in text
    assert f"Run default: {len(tracks)} of {len(tracks)} test clips not found" in text
    assert not app.query_params.get("ru_track", [""])[0].startswith("/")


# -- Train ------------------------------------------------------------------------------------------------------

def _running_elsewhere(runs) -> RunConfig:
    """A run of the Train page's settings for ``tr_data=synthetic:48`` that another process is training."""
    config = train_page_config("synthetic:48")
    folder = runs / config.id
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config.to_dict()))
    (folder / "status.json").write_text(json.dumps({"state": "running", "epoch": 1, "epochs": config.epochs,
                                                    "pid": os.getpid()}))
    return config


@pytest.mark.parametrize("public_mode", [True, False])
def test_train_offers_stop_only_for_runs_a_visitor_may_stop(runs, monkeypatch, public_mode):
    if public_mode:
        monkeypatch.setenv("KEYSCOPE_PUBLIC", "1")
    config = _running_elsewhere(runs)
    app = _page("train", tr_data="synthetic:48")
    assert not app.exception and f"run `{config.id}`: running" in app.get("progress")[0].proto.text
    assert bool([b for b in app.button if b.key == "tr_stop"]) is not public_mode
    (runs / config.id / "status.json").write_text(json.dumps({"state": "stopped", "epoch": 1}))
    app.run()  # the run ended: the page shows it without the polling fragment
    ended = "Training from the page is off" if public_mode else "is stopped"
    assert not app.exception and any(ended in i.value for i in app.info) and not app.get("progress")


def test_train_start_with_a_file_that_is_no_labels_csv_is_one_line(runs):
    app = _page("train", tr_data="labels:/etc/passwd")
    assert not app.exception
    app.button(key="tr_start").click().run()
    assert not app.exception and len(app.error) == 1 and app.error[0].value.startswith(f"Not started: {plain('/etc/passwd')}")
    assert [folder.name for folder in runs.iterdir()] == ["server1"]  # no run folder made


# -- Dataset ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("public_mode", [True, False])
@pytest.mark.parametrize("params", [{"ds_src": "\x00"}, {"ds_audio": "\x00"}, {"ds_src": "~nosuchuser/x.h5"},
                                    {"ds_audio": "~nosuchuser/x.csv"}])
def test_dataset_paths_that_name_nothing_get_one_line(monkeypatch, public_mode, params):
    if public_mode:
        monkeypatch.setenv("KEYSCOPE_PUBLIC", "1")
    app = _page("dataset", **params)
    assert not app.exception
    lines = [line for line in _lines(app) if BAD_PATH_MESSAGE in line]
    assert len(lines) == 1


def test_dataset_fifo_in_the_roots_gets_one_line_not_a_hang(public):
    shared, _ = public
    os.mkfifo(shared / "catalog.h5")
    app = _page("dataset", timeout=30, ds_src=str(shared / "catalog.h5"))
    assert not app.exception and [e.value for e in app.error] == [
        "Cannot read this catalog. " + plain(f"{shared.resolve() / 'catalog.h5'}: not a regular file")]


def test_dataset_folder_in_the_roots_lists_no_file_linked_from_outside(public, tmp_path):
    shared, private = public
    hdf5.write_subset_tree(private, make_catalog_frame(4, seed=3))
    hdf5.write_subset_tree(shared / "tree", make_catalog_frame(2))
    (shared / "tree" / "x.h5").symlink_to(sorted(private.rglob("*.h5"))[0])
    app = _page("dataset", ds_src=str(shared / "tree"), ds_kc="0", ds_mc="0")
    assert not app.exception and app.get("metric")[0].proto.body == "2"


def test_dataset_empty_selection_says_no_tracks_match_and_echoes_plain_text():
    app = _page("dataset", ds_kc="1.0", ds_mc=PHISHING)
    assert not app.exception
    assert any("No tracks match" in i.value for i in app.info) and not app.get("arrow_vega_lite_chart")
    assert [w.value for w in app.warning if "Session" in w.value][0].startswith(plain("Ignored URL parameter ds_mc="))
    assert "<a" not in _html(app.warning[0].value)


# -- Spectrograms, Home ------------------------------------------------------------------------------------------

def test_log_spectrograms_use_a_fixed_db_scale_with_silence_at_the_bottom():
    loud = np.log1p(np.full((4, 3), 50.0, np.float32))
    array = np.concatenate([loud, np.zeros((4, 3), np.float32)], axis=1)
    values, low, high, unit = for_display("logspec", array)
    assert (low, high, unit) == (-DB_RANGE, 0.0, "dB")
    assert np.allclose(values[:, :3], 0.0, atol=1e-4) and np.allclose(values[:, 3:], -DB_RANGE)
    chroma = np.random.default_rng(0).random((12, 5)).astype(np.float32)
    assert for_display("chroma", chroma)[0] is chroma


def test_spectrograms_page_draws_log_spectrograms_on_the_db_scale_and_echoes_plain_text():
    app = _page("spectrograms", timeout=300, sp_n="1", sp_ta=PHISHING)
    assert not app.exception
    figure = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert figure["data"][0]["zmin"] == -DB_RANGE and figure["data"][0]["zmax"] == 0.0
    assert "<a" not in _html(app.warning[0].value)


def test_predict_is_the_first_link_on_home():
    app = AppTest.from_file("../app.py", default_timeout=60).run()
    assert not app.exception
    assert [link.proto.label for link in app.get("page_link")][:2] == ["**Predict**", "**Dataset**"]
