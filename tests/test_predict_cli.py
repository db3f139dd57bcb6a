"""``python -m core predict`` on generated audio in known keys, with the template baseline."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import soundfile as sf

from core.cli import main
from core.keys import Key
from tests.audio_fixtures import write_key_audio

MODEL = "template:krumhansl"
FIELDS = {"file", "key", "tonic", "mode", "msd_key", "msd_mode", "class_index", "confidence", "camelot",
          "top3", "relative_key", "timeline"}


def test_json_one_object_per_file_in_known_keys(tmp_path, capsys):
    keys = {"G major": "wav", "C minor": "flac", "Eb major": "ogg", "B minor": "mp3"}
    files = [str(write_key_audio(tmp_path / f"{i}.{fmt}", key, seconds=4.0)) for i, (key, fmt) in enumerate(keys.items())]
    assert main(["predict", *files, "--model", MODEL, "--format", "json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    results = [json.loads(line) for line in lines]
    assert [r["file"] for r in results] == files
    for result, key in zip(results, keys):
        expected = Key.parse(key)
        assert FIELDS <= set(result)
        assert (result["key"], result["msd_key"], result["msd_mode"]) == (expected.name, expected.tonic, expected.mode)
        assert result["camelot"] == expected.camelot and result["relative_key"] == expected.relative.name
        assert 0 < result["confidence"] <= 1 and len(result["top3"]) == 3


def test_bad_files_get_error_entries_and_the_rest_go_on(tmp_path, capsys):
    good = str(write_key_audio(tmp_path / "good.wav", "D major", seconds=3.0))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "readme.mp3"
    text.write_text("not audio at all\n" * 30)
    silent = tmp_path / "silent.flac"
    sf.write(silent, np.zeros(22050 * 2, dtype=np.float32), 22050)
    aiff = tmp_path / "x.wma"
    aiff.write_bytes(b"FORM0000AIFF")
    files = [str(empty), good, str(text), str(silent), str(tmp_path / "missing.ogg"), str(aiff)]
    assert main(["predict", *files, "--model", MODEL, "--format", "json"]) == 1
    results = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert len(results) == len(files)
    assert results[1]["key"] == "D major" and "error" not in results[1]
    errors = [r for r in results if "error" in r]
    assert len(errors) == 5 and all(r["file"] in r["error"] for r in errors)
    assert "empty" in errors[0]["error"] and "silent" in errors[2]["error"] and "unsupported" in errors[4]["error"]


def test_csv_and_table_formats(tmp_path, capsys):
    song = str(write_key_audio(tmp_path / "song.wav", "A minor", seconds=3.0))
    assert main(["predict", song, "--model", MODEL, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["key"] == "A minor" and rows[0]["msd_key"] == "9" and rows[0]["top1"] == "A minor"
    assert main(["predict", song, "--model", MODEL]) == 0
    assert "A minor (8A" in capsys.readouterr().out


def test_unknown_model_is_one_error(tmp_path, capsys):
    song = str(write_key_audio(tmp_path / "song.wav", "A minor", seconds=2.0))
    assert main(["predict", song, "--model", "no-such-model"]) == 2
    assert "no-such-model" in capsys.readouterr().err


def test_no_tensorflow_start_up_lines_on_stderr(tmp_path):
    """The shipped CNN loads TensorFlow; its oneDNN/CUDA/cuInit lines do not reach the user."""
    import os
    import re
    import subprocess
    import sys

    song = write_key_audio(tmp_path / "song.wav", "A minor", seconds=3.0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    out = subprocess.run([sys.executable, "-m", "core", "predict", str(song)], capture_output=True, text=True,
                         env=env)
    assert out.returncode == 0 and str(song) in out.stdout, out.stderr
    noise = [line for line in out.stderr.splitlines()
             if re.match(r"^[IWE]\d{4} ", line) or re.search(r"absl|cuda|cuInit|oneDNN|tensorflow", line, re.I)]
    assert noise == []


def test_too_little_audio_and_bad_files_are_refused_in_words(tmp_path, capfd):
    blip = write_key_audio(tmp_path / "blip.wav", "A minor", seconds=1.0)
    padded = tmp_path / "padded.wav"  # 1 s of chords inside 10 s of digital silence
    y = np.zeros(22050 * 10, dtype=np.float32)
    y[22050 * 4:22050 * 5] = sf.read(blip, dtype="float32")[0]
    sf.write(padded, y, 22050)
    noise = tmp_path / "noise.mp3"
    noise.write_bytes(b"\x00\x01 not an mp3 at all " * 200)
    files = [str(blip), str(padded), str(noise)]
    assert main(["predict", *files, "--model", MODEL, "--format", "json"]) == 1
    captured = capfd.readouterr()  # fd level: the decoder writes there
    errors = [json.loads(line)["error"] for line in captured.out.strip().splitlines()]
    assert errors[0] == f"{blip}: only 1.0 s of non-silent audio; a key needs at least 2 s"
    assert errors[1] == f"{padded}: only 1.0 s of non-silent audio; a key needs at least 2 s"
    assert errors[2] == f"{noise}: not a readable mp3 file"
    assert "Note:" not in captured.err and "possibly a pipe" not in captured.out


def test_a_folder_is_searched_recursively(tmp_path, capsys):
    write_key_audio(tmp_path / "set" / "a" / "one.flac", "E minor", seconds=3.0)
    write_key_audio(tmp_path / "set" / "b" / "c" / "two.ogg", "F major", seconds=3.0)
    (tmp_path / "set" / "notes.txt").write_text("not audio")
    assert main(["predict", str(tmp_path / "set"), "--model", MODEL, "--format", "json"]) == 0
    results = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [(r["file"].rsplit("/", 1)[-1], r["key"]) for r in results] == [("one.flac", "E minor"), ("two.ogg", "F major")]
    (tmp_path / "empty").mkdir()
    assert main(["predict", str(tmp_path / "empty"), "--model", MODEL]) == 2
    assert "no audio files" in capsys.readouterr().err
