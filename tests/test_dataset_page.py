"""The Dataset page driven by Streamlit's AppTest on a generated MSD summary file."""
import pytest
from streamlit.testing.v1 import AppTest

from core.msd import hdf5
from core.msd.catalog import Selection, select
from tests.audio_fixtures import write_key_audio
from tests.conftest import make_catalog_frame
from ui.guard import plain

PAGE = "../views/dataset_page.py"


@pytest.fixture
def catalog_path(tmp_path):
    return str(hdf5.write_summary(tmp_path / "msd_summary_file.h5", make_catalog_frame(400, seed=3)))


def _open(**params):
    app = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in params.items():
        app.query_params[name] = value
    return app.run()


def _metrics(app):
    return {m.label: m.value for m in app.metric}


def _expected(path, **selection):
    return len(select(hdf5.read_catalog(path), Selection(**selection)))


def test_moving_a_slider_changes_the_counts(catalog_path):
    app = _open(ds_src=catalog_path)
    assert not app.exception
    assert _metrics(app)["Tracks in catalog"] == "400"
    assert _metrics(app)["Selected"] == str(_expected(catalog_path))
    app.slider(key="ds_kc").set_value(0.3).run()
    assert _metrics(app)["Selected"] == str(_expected(catalog_path, min_key_confidence=0.3))
    assert app.query_params["ds_kc"] == "0.3"
    app.slider(key="ds_mc").set_value(0.95).run()
    assert _metrics(app)["Selected"] == str(_expected(catalog_path, min_key_confidence=0.3, min_mode_confidence=0.95))


def test_confidences_exactly_at_the_threshold_are_left_out(tmp_path):
    frame = make_catalog_frame(4)
    frame["key_confidence"] = [0.75, 0.76, 0.8, 0.75]
    frame["mode_confidence"] = [0.8, 0.76, 0.75, 0.75]
    app = _open(ds_src=str(hdf5.write_summary(tmp_path / "s.h5", frame)))
    assert _metrics(app)["Selected"] == "1" and app.dataframe[0].value["track_id"].tolist() == [frame.track_id[1]]
    assert app.slider(key="ds_kc").label == "Key confidence above" and "above" in app.slider(key="ds_mc").label
    app.slider(key="ds_kc").set_value(0.74).run()
    app.slider(key="ds_mc").set_value(0.74).run()
    assert _metrics(app)["Selected"] == "4"


def test_query_parameters_restore_the_view(catalog_path):
    app = _open(ds_src=catalog_path, ds_kc="0.2", ds_mc="0.4", ds_keys="0,7", ds_modes="1", ds_q="Artist 1")
    assert not app.exception and not app.warning
    assert app.slider(key="ds_kc").value == 0.2 and app.slider(key="ds_mc").value == 0.4
    assert app.multiselect(key="ds_keys").value == [0, 7] and app.multiselect(key="ds_modes").value == [1]
    assert app.text_input(key="ds_q").value == "Artist 1"
    expected = _expected(catalog_path, min_key_confidence=0.2, min_mode_confidence=0.4, keys=[0, 7], modes=[1],
                         text="Artist 1")
    assert _metrics(app)["Selected"] == str(expected)


def test_malformed_parameters_warn_and_fall_back(catalog_path):
    app = _open(ds_src=catalog_path, ds_kc="lots", ds_keys="0,44", ds_page="-3")
    assert not app.exception
    warnings = " ".join(w.value for w in app.warning)
    assert "ds_kc='lots'" in warnings and "ds_keys='0,44'" in warnings and "ds_page='-3'" in warnings
    assert app.slider(key="ds_kc").value == 0.75 and app.multiselect(key="ds_keys").value == []
    assert _metrics(app)["Selected"] == str(_expected(catalog_path))


def test_a_broken_catalog_shows_an_error_and_the_page_stays_up(tmp_path):
    broken = tmp_path / "broken.h5"
    broken.write_bytes(b"\x89HDF\r\n\x1a\n truncated")
    app = _open(ds_src=str(broken))
    assert not app.exception
    assert plain(str(broken)) in app.error[0].value  # shown as plain text: "/" escaped


def test_table_is_paged(tmp_path):
    path = str(hdf5.write_summary(tmp_path / "big.h5", make_catalog_frame(1200, seed=1)))
    app = _open(ds_src=path, ds_kc="0", ds_mc="0")
    first_page = app.dataframe[0].value
    assert len(first_page) == 100
    app.number_input(key="ds_page").set_value(12).run()
    last_page = app.dataframe[0].value
    assert len(last_page) == 100 and set(last_page["track_id"]).isdisjoint(first_page["track_id"])
    assert list(first_page.columns[:6]) == ["key", "key_confidence", "mode", "mode_confidence", "track_id", "song_id"]
    assert app.query_params["ds_page"] == "12"


def test_the_page_shows_which_tracks_have_audio(catalog_path, tmp_path):
    catalog = hdf5.read_catalog(catalog_path)
    kept = select(catalog, Selection(0.0, 0.0)).track_id.tolist()[::7]
    audio = tmp_path / "audio"
    for track in kept:
        write_key_audio(audio / f"{track}.wav", "A minor", seconds=0.5)  # a flat folder of <TRACK_ID>.wav
    app = _open(ds_src=catalog_path, ds_kc="0", ds_mc="0", ds_audio=str(audio))
    assert not app.exception and not app.warning
    assert _metrics(app)["Selected with audio"] == str(len(kept))
    app.toggle(key="ds_wa").set_value(True).run()
    assert _metrics(app)["Selected"] == str(len(kept)) and app.query_params["ds_wa"] == "True"
    missing = _open(ds_src=catalog_path, ds_audio=str(tmp_path / "nowhere"))
    assert "nowhere" in missing.warning[0].value and _metrics(missing)["Selected with audio"] == "—"
