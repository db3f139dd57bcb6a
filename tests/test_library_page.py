"""The Library page with Streamlit's AppTest over a real scanned library: table, wheel, compatible tracks,
notation, public mode."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core import paths
from core.library.scan import scan
from tests.audio_fixtures import write_key_audio

PAGE = str(paths.ROOT / "views" / "library_page.py")
SONGS = {"set/one.wav": "C major", "set/two.flac": "A minor", "set/deep/three.ogg": "G major",
         "set/four.mp3": "D major"}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("lib")
    for name, key in SONGS.items():
        write_key_audio(root / name, key, seconds=8.0)
    scan(root / "set", root / "lib.sqlite", "default")
    return root


def run_page(monkeypatch=None, **params):
    at = AppTest.from_file(PAGE, default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_table_wheel_and_what_mixes_with_a_segment(library):
    at = run_page(li_db=str(library / "lib.sqlite"), li_key="8B")
    table = at.dataframe[0].value
    assert sorted(table["track"]) == ["deep/three.ogg", "four.mp3", "one.wav", "two.flac"]
    assert dict(zip(table["track"], table["key"]))["two.flac"] == "8A"  # Camelot is the default notation
    assert at.get("plotly_chart")
    mixes = at.dataframe[1].value  # C major (8B): itself, A minor (relative), G major (+1); not D major (10B)
    assert list(mixes["track"]) == ["one.wav", "two.flac", "deep/three.ogg"]
    assert list(mixes["relation"]) == ["same key", "relative", "+1 on the wheel"]
    at.radio(key="li_note").set_value("openkey").run()
    assert dict(zip(at.dataframe[0].value["track"], at.dataframe[0].value["key"]))["two.flac"] == "1m"
    assert at.query_params["li_note"] == "openkey" and at.query_params["li_key"] == "8B"
    at.text_input(key="li_q").set_value("flac").run()
    assert list(at.dataframe[0].value["track"]) == ["two.flac"]


def test_public_mode_scans_only_inside_the_roots_and_shows_no_server_path(library, monkeypatch):
    import shutil

    monkeypatch.setenv("KEYSCOPE_PUBLIC", "1")
    monkeypatch.setattr(paths, "CACHE_DIR", library / "cache")  # the server's own library
    (library / "cache").mkdir(exist_ok=True)
    shutil.copy(library / "lib.sqlite", library / "cache" / "library.sqlite")
    at = run_page(li_src="/etc", li_db="/somewhere/else.sqlite")
    assert len(at.error) == 1 and "Not available here" in at.error[0].value
    assert not at.button  # no scan, no tag writing
    assert "li_db" not in [w.key for w in at.text_input]  # the database is the server's own, not named
    assert sorted(at.dataframe[0].value["track"]) == ["deep/three.ogg", "four.mp3", "one.wav", "two.flac"]
    page_text = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.error, *at.dataframe])
    assert str(library) not in page_text and "somewhere" not in page_text


@pytest.mark.parametrize("params", [{"li_src": "\x00"}, {"li_src": "~nosuchuser/music"},
                                    {"li_db": "~nosuchuser/lib.sqlite"}, {"li_db": "a\x00b"}])
def test_unusable_paths_from_a_link_get_one_line(params):
    at = run_page(**params)  # asserts no uncaught exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "not a usable path" in errors[0].lower()
