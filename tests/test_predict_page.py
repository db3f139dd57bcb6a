"""The Predict page, driven with Streamlit's AppTest: upload real audio, read the key, bad input stays up."""
from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from core import paths
from tests.audio_fixtures import key_signal, write_key_audio

PAGE = str(paths.ROOT / "views" / "predict_page.py")
MODEL = "template:krumhansl"


def run_page(upload=None, **params):
    at = AppTest.from_file(PAGE, default_timeout=300)
    for name, value in {"pr_model": MODEL, "pr_window": "5", **params}.items():
        at.query_params[name] = value
    at.run()
    if upload is not None:
        at.file_uploader[0].set_value(upload)
        at.run()
    assert not at.exception, at.exception
    return at


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_upload_shows_key_and_downloads(tmp_path):
    data = write_key_audio(tmp_path / "song.ogg", "E minor", seconds=6.0).read_bytes()
    at = run_page(("song.ogg", data, "audio/ogg"))
    shown = metrics(at)
    assert shown["Key"] == "E minor"
    assert shown["Camelot"] == "9A" and shown["Open Key"] == "2m" and "MSD" not in " ".join(shown)
    text = " ".join(m.value for m in at.markdown)
    assert "Top three" in text and "**Mixes with:** G major (9B / 2d, relative) · B minor (10A / 3m, +1 on the wheel)" in text
    assert at.query_params["pr_model"] == MODEL
    assert at.toggle[0].value is False and len(at.dataframe) == 0  # baselines only on request
    at.toggle[0].set_value(True).run()
    table = at.dataframe[0].value
    assert len(table) >= 2 and table["confidence"][0] == shown["Confidence"]  # the same percentage as the headline
    assert metrics(at) == shown


def test_several_files_at_once_and_a_key_change_in_the_headline(tmp_path):
    steady = write_key_audio(tmp_path / "steady.wav", "A major", seconds=6.0).read_bytes()
    y = np.concatenate([key_signal("C major", 20.0), key_signal("C# minor", 20.0)])
    buffer = io.BytesIO()
    sf.write(buffer, y, 22050, format="FLAC")
    at = run_page([("steady.wav", steady, "audio/wav"), ("turn.flac", buffer.getvalue(), "audio/flac")])
    table = at.dataframe[0].value
    assert list(table["file"]) == ["steady.wav", "turn.flac"]
    assert list(table["key"]) == ["A major", "C major → C# minor at 0:20"]
    at.selectbox[1].set_value("turn.flac").run()
    assert metrics(at)["Key"] == "C major → C# minor at 0:20"
    at.radio(key="pr_spell").set_value("flats").run()
    assert metrics(at)["Key"] == "C major → Db minor at 0:20" and at.query_params["pr_spell"] == "flats"


def test_a_window_from_the_link_is_the_slider_value():
    at = run_page(pr_window="7")
    assert at.slider(key="pr_window").value == 7.0 and not at.warning


@pytest.mark.parametrize("name,content,message", [
    ("empty.wav", b"", "empty"),
    ("notes.mp3", b"just some text, not audio\n" * 40, "not a readable audio"),
    ("song.wma", b"FORM0000AIFF", "unsupported format"),
    ("song.m4a", b"\0\0\0\x20ftypM4A " + bytes(100), "apt-get install ffmpeg"),
    ("quiet.wav", "silence", "silent"),
    ("blip.wav", "blip", "a key needs at least 2 s"),
])
def test_bad_upload_is_one_clear_error(tmp_path, name, content, message):
    if content == "silence":
        buffer = io.BytesIO()
        sf.write(buffer, np.zeros(22050 * 3, dtype=np.float32), 22050, format="WAV")
        content = buffer.getvalue()
    if content == "blip":
        content = write_key_audio(tmp_path / name, "C major", seconds=1.0).read_bytes()
    at = run_page((name, content, "application/octet-stream"))
    assert len(at.error) == 1 and message in at.error[0].value and name in at.error[0].value
    assert "BytesIO" not in at.error[0].value and " at 0x" not in at.error[0].value
    assert not at.metric and not at.get("audio")  # no player for a song that could not be read


def test_malformed_url_warns_and_falls_back():
    at = run_page(pr_model="no-such-model", pr_window="abc")
    warnings = " ".join(w.value for w in at.warning)
    assert "no-such-model" in warnings and "pr_window" in warnings
    assert at.selectbox(key="pr_model").value == "default"
    assert at.slider(key="pr_window").value == 20.0


def test_corrupt_upload_is_one_clear_error(tmp_path):
    good = write_key_audio(tmp_path / "good.flac", "C major", seconds=2.0).read_bytes()
    at = run_page(("broken.flac", good[:200] + bytes(range(256)) * 20, "audio/flac"))
    assert len(at.error) == 1 and "broken.flac" in at.error[0].value


def test_one_hour_upload_says_what_was_analysed():
    sr = 1000  # an hour of quiet low-rate audio: 7 MB, cheap to make and to read
    t = np.arange(sr * 3600) / sr
    buffer = io.BytesIO()
    sf.write(buffer, (0.05 * np.sin(2 * np.pi * 196 * t)).astype(np.float32), sr, format="WAV", subtype="PCM_16")
    at = run_page(("hour.wav", buffer.getvalue(), "audio/wav"))
    assert "Key" in metrics(at)
    assert any("60.0 min" in i.value and "analysed 24 windows" in i.value for i in at.info)
    # the baselines (another pass over the song each) are off by default for a long file
    assert at.toggle[0].value is False and len(at.dataframe) == 0


def test_a_file_too_big_for_the_player_still_gets_its_key():
    sr = 8000  # 14.5 min of stereo float32: 56 MB, over the player's limit
    t = np.arange(int(sr * 14.5 * 60)) / sr
    tone = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, np.column_stack([tone, tone]), sr, format="WAV", subtype="FLOAT")
    assert len(buffer.getvalue()) > 50e6
    at = run_page(("long.wav", buffer.getvalue(), "audio/wav"))
    assert "Key" in metrics(at) and not at.get("audio")
    assert any("No player for files over 50 MB" in c.value for c in at.caption)


def test_the_same_song_again_is_served_from_the_cache(tmp_path):
    """A cached analysis replays without error: the same upload again, a window change and back, a new session."""
    upload = ("again.wav", write_key_audio(tmp_path / "again.wav", "D major", seconds=5.0).read_bytes(), "audio/wav")
    at = run_page(upload)
    first = metrics(at)
    assert first["Key"] == "D major" and len(at.get("audio")) == 1
    at.file_uploader[0].set_value(upload).run()
    assert not at.exception and metrics(at) == first
    at.slider(key="pr_window").set_value(10.0).run()
    at.slider(key="pr_window").set_value(5.0).run()
    assert not at.exception and not at.error and metrics(at) == first
    assert metrics(run_page(upload)) == first  # another session, same song
