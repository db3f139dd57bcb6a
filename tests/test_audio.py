"""Decoding real files of each format, excerpts, windows, and the one clear error."""
import io

import numpy as np
import pytest

from core.audio.decode import AudioError, duration_s, iter_windows, load_audio
from tests.audio_fixtures import SR, write_key_audio


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_formats_decode_to_mono_float32(tmp_path, fmt):
    path = write_key_audio(tmp_path / f"x.{fmt}", "F# minor", 1.0)
    y = load_audio(path)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(y.size - SR) < SR * 0.1
    assert np.max(np.abs(y)) > 0.05


@pytest.mark.parametrize("channels", [2, 3])
def test_several_channels_decode_to_their_mean(tmp_path, channels):
    import soundfile as sf

    rng = np.random.default_rng(channels)
    block = (rng.random((SR, channels), dtype=np.float32) - 0.5).astype(np.float32)
    sf.write(tmp_path / "x.wav", block, SR, subtype="FLOAT")
    y = load_audio(tmp_path / "x.wav", sr=SR)
    np.testing.assert_allclose(y, block.mean(axis=1), atol=1e-7)
    windows = list(iter_windows(tmp_path / "x.wav", window_s=0.5, hop_s=0.5, sr=SR))
    np.testing.assert_allclose(np.concatenate([w for _, w in windows]), y, atol=1e-7)


def test_excerpt_resample_bytes_and_filelike(tmp_path):
    path = write_key_audio(tmp_path / "x.flac", "C major", 3.0)
    y = load_audio(path, sr=11025, offset=1.0, duration=1.0)
    assert y.size == 11025
    data = path.read_bytes()
    assert np.allclose(load_audio(data, duration=0.5), load_audio(io.BytesIO(data), duration=0.5))
    assert duration_s(path) == pytest.approx(3.0)


def test_iter_windows_cover_song(tmp_path):
    path = write_key_audio(tmp_path / "x.wav", "D major", 3.0)
    windows = list(iter_windows(path, window_s=1.0, hop_s=0.5))
    assert [round(s, 2) for s, _ in windows] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert all(w.size == SR for _, w in windows)


def test_bad_inputs_raise_one_clear_error(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp3"
    text.write_text("this is not audio\n" * 50)
    silent = tmp_path / "silent.wav"
    import soundfile as sf

    sf.write(silent, np.zeros(SR, dtype=np.float32), SR)
    for path, words in [(empty, "empty"), (text, "not a readable mp3 file"), (silent, "silent"),
                        (tmp_path / "missing.ogg", "no such")]:
        with pytest.raises(AudioError, match=words) as err:
            load_audio(path)
        assert path.name in str(err.value)
    assert issubclass(AudioError, ValueError)


def test_index_seed_layout_flat_folder_and_labels_csv(tmp_path):
    import pandas as pd

    from core.audio.index import LabelsError, attach_audio, read_labels, scan_folder

    write_key_audio(tmp_path / "seed" / "6-0" / "TRA.ogg", "F# minor", 0.5)
    write_key_audio(tmp_path / "seed" / "0-1" / "TRB.wav", "C major", 0.5)
    found = scan_folder(tmp_path / "seed").set_index("track_id")
    assert (found.loc["TRA", "key"], found.loc["TRA", "mode"]) == (6, 0)
    write_key_audio(tmp_path / "flat" / "TRC.flac", "D major", 0.5)
    assert scan_folder(tmp_path / "flat")["track_id"].tolist() == ["TRC"]

    labels = tmp_path / "seed" / "labels.csv"
    labels.write_text("file,key\n6-0/TRA.ogg,F# minor\n0-1/TRB.wav,C\n")
    parsed = read_labels(labels).set_index("track_id")
    assert (parsed.loc["TRB", "key"], parsed.loc["TRB", "mode"]) == (0, 1)
    catalog = pd.DataFrame({"track_id": ["TRA", "TRZ"]})
    joined = attach_audio(catalog, labels)
    assert joined["has_audio"].tolist() == [True, False] and joined["audio_path"].iloc[1] is None

    labels.write_text("file,key\n6-0/TRA.ogg,H minor\nnope.wav,C\n")
    with pytest.raises(LabelsError, match=r"labels.csv: 2 bad row.*line 2: unknown key; line 3: audio file not found"):
        read_labels(labels)
