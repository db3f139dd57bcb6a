"""core.estimate.song on real decoded audio in known keys, with the Krumhansl template baseline."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from core.audio.decode import AudioError
from core.estimate.estimators import load_estimator
from core.estimate.song import plan_hop, predict_song
from core.keys import Key
from tests.audio_fixtures import key_signal, write_key_audio

EST = load_estimator("template:krumhansl")


@pytest.mark.parametrize("key,fmt", [("A minor", "wav"), ("E major", "flac"), ("Bb major", "ogg"), ("F# minor", "mp3")])
def test_known_keys_each_format(tmp_path, key, fmt):
    path = write_key_audio(tmp_path / f"song.{fmt}", key, seconds=3.0)
    result = predict_song(path, EST, window_s=2.0, hop_s=1.0).to_dict()
    expected = Key.parse(key)
    assert result["key"] == expected.name
    assert (result["msd_key"], result["msd_mode"]) == (expected.tonic, expected.mode)
    assert result["class_index"] == expected.index
    assert result["camelot"] == expected.camelot
    assert result["relative_key"] == expected.relative.name
    assert result["top3"][0]["key"] == expected.name and len(result["top3"]) == 3
    assert abs(sum(result["probabilities"].values()) - 1) < 1e-3
    assert result["timeline"] and all(w["key"] == expected.name for w in result["timeline"])


def test_key_over_time_follows_a_modulation(tmp_path):
    y = np.concatenate([key_signal("C major", 4.0), key_signal("E major", 4.0)])
    path = tmp_path / "modulates.wav"
    sf.write(path, y, 22050)
    prediction = predict_song(path, EST, window_s=2.0, hop_s=2.0)
    keys = [w["key"] for w in prediction.timeline()]
    assert keys[0] == "C major" and keys[-1] == "E major"
    assert {k.name for k, _ in prediction.top(2)} == {"C major", "E major"}


@pytest.mark.parametrize("content,message", [(b"", "empty"), (b"this is not audio\n" * 50, "not a readable mp3 file")])
def test_bad_bytes_named_in_message(tmp_path, content, message):
    path = tmp_path / "bad.mp3"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as err:
        predict_song(path, EST)
    assert "bad.mp3" in str(err.value)


def test_corrupt_file(tmp_path):
    good = write_key_audio(tmp_path / "good.flac", "C major", seconds=2.0).read_bytes()
    path = tmp_path / "corrupt.flac"
    path.write_bytes(good[:200] + bytes(range(256)) * 20)
    with pytest.raises(AudioError, match="corrupt.flac"):
        predict_song(path, EST, window_s=2.0, hop_s=1.0)


def test_silence_and_unsupported_format(tmp_path):
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(22050 * 3, dtype=np.float32), 22050)
    with pytest.raises(AudioError, match="silent"):
        predict_song(silent, EST, window_s=2.0, hop_s=1.0)
    other = tmp_path / "song.wma"
    sf.write(other, key_signal("C major"), 22050, format="WAV")
    with pytest.raises(AudioError, match="unsupported format"):
        predict_song(other, EST)
    m4a = tmp_path / "song.m4a"
    m4a.write_bytes(b"\0\0\0\x20ftypM4A " + bytes(100))
    with pytest.raises(AudioError, match="apt-get install ffmpeg"):
        predict_song(m4a, EST)


def test_aiff_is_read(tmp_path):
    aiff = tmp_path / "song.aiff"
    sf.write(aiff, key_signal("C major", seconds=3.0), 22050, format="AIFF")
    assert predict_song(aiff, EST).key.name == "C major"


def test_one_hour_file_is_analysed_in_bounded_windows(tmp_path):
    sr = 2000  # one hour of quiet, low-rate audio: 7.2 M samples, cheap to write
    path = tmp_path / "hour.wav"
    t = np.arange(sr * 3600) / sr
    sf.write(path, (0.01 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr, subtype="PCM_16")
    calls = []
    prediction = predict_song(path, EST, window_s=2.0, hop_s=1.0, max_windows=5,
                              progress=lambda done, total: calls.append((done, total)))
    assert len(prediction.starts) == 5 and calls[-1] == (5, 5)
    assert prediction.starts[-1] > 3000  # spread over the whole hour, not the first minutes
    assert "analysed 5 windows" in prediction.note
    assert prediction.to_dict()["duration_s"] == pytest.approx(3600, abs=1)


def test_bytes_upload_and_plan_hop(tmp_path):
    data = write_key_audio(tmp_path / "x.ogg", "D minor", seconds=3.0).read_bytes()
    assert predict_song(data, EST, name="upload.ogg", window_s=2.0).key == Key.parse("D minor")
    assert plan_hop(10, 20, 10, 24) == 10 and plan_hop(3600, 20, 10, 5) == pytest.approx(895)


def test_a_key_change_is_named_with_its_time(tmp_path):
    song = tmp_path / "modulates.wav"
    sf.write(song, np.concatenate([key_signal("C major", 40.0), key_signal("C# minor", 40.0)]), 22050)
    result = predict_song(song, EST, window_s=10.0, hop_s=10.0).to_dict()
    assert result["key_change"] == {"from": "C major", "to": "C# minor", "at_s": 40.0,
                                    "text": "C major → C# minor at 0:40"}
    steady = tmp_path / "steady.wav"
    sf.write(steady, key_signal("C major", 40.0), 22050)
    result = predict_song(steady, EST, window_s=10.0, hop_s=10.0).to_dict()
    assert result["key_change"] is None and abs(result["tuning_cents"]) < 5
    assert [c["relation"] for c in result["compatible"]] == ["relative", "+1 on the wheel", "-1 on the wheel"]
    assert result["open_key"] == "1d"


def test_tuning_in_cents_follows_a_detuned_recording(tmp_path):
    song = tmp_path / "sharp.wav"
    sf.write(song, key_signal("A minor", 6.0, shift=0.3), 22050)  # 30 cents sharp
    assert predict_song(song, EST).tuning_cents == pytest.approx(30, abs=6)
