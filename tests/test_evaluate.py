import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.estimate.estimators import load_estimator
from core.evaluation.scoring import evaluate_labels, evaluate_run
from core.paths import MODELS_DIR
from tests.audio_fixtures import write_key_audio

KEYS = ["C major", "A minor", "G major", "E minor", "D major"]


@pytest.fixture
def labels(tmp_path):
    rows = ["file,key"]
    for i, key in enumerate(KEYS):
        write_key_audio(tmp_path / f"t{i}.{('wav', 'flac', 'ogg')[i % 3]}", key, seconds=3.0)
        rows.append(f"t{i}.{('wav', 'flac', 'ogg')[i % 3]},{key}")
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_template_scores_real_files(labels):
    result = evaluate_labels(labels, load_estimator("template:krumhansl"))
    assert result["n"] == len(KEYS)
    assert result["accuracy"] == 1.0 and result["mirex_weighted"] == 1.0
    assert result["mirex_interval"] == (1.0, 1.0)  # every file right: no spread to resample
    assert result["seconds"] > 0


def test_cli_json_and_table(labels):
    out = subprocess.run([sys.executable, "-m", "core", "evaluate", str(labels), "--model", "template:temperley",
                          "--format", "json"], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["n"] == len(KEYS) and set(data["mirex_fractions"]) == {"correct", "fifth", "relative", "parallel", "other"}
    table = subprocess.run([sys.executable, "-m", "core", "evaluate", str(labels), "--model", "template:krumhansl"],
                           capture_output=True, text=True, check=True).stdout
    assert "MIREX weighted" in table and "accuracy" in table and "time" in table


def test_cli_bad_row_is_one_clear_error(labels):
    labels.write_text(labels.read_text() + "missing.wav,C major\n")
    out = subprocess.run([sys.executable, "-m", "core", "evaluate", str(labels), "--model", "template:krumhansl"],
                         capture_output=True, text=True)
    # the line, never the CSV's own text (issue 11: messages carry no file content)
    assert out.returncode == 2 and "line 7: audio file not found" in out.stderr and "missing.wav" not in out.stderr


def test_run_predictions_scored():
    result = evaluate_run(MODELS_DIR / "keynet-default")
    assert 0 < result["accuracy"] <= 1 and sum(map(sum, result["confusion"])) == result["n"]


def add_bad_files(labels):
    """A silent wav, a text file named .mp3 and a 1 s clip, listed in the labels CSV."""
    import numpy as np
    import soundfile as sf

    sf.write(labels.parent / "silent.wav", np.zeros(22050 * 3, dtype=np.float32), 22050)
    (labels.parent / "notes.mp3").write_text("not audio\n" * 50)
    write_key_audio(labels.parent / "short.wav", "C major", seconds=1.0)
    labels.write_text(labels.read_text() + "silent.wav,C major\nnotes.mp3,C major\nshort.wav,C major\n")
    return ["silent.wav", "notes.mp3", "short.wav"]


def evaluate_cli(labels, *extra):
    return subprocess.run([sys.executable, "-m", "core", "evaluate", str(labels), "--model", "template:krumhansl",
                           *extra], capture_output=True, text=True)


def test_bad_files_are_skipped_with_reasons_and_the_rest_scored(labels):
    bad = add_bad_files(labels)
    result = evaluate_labels(labels, load_estimator("template:krumhansl"))
    assert result["n"] == len(KEYS) and result["accuracy"] == 1.0
    reasons = {Path(s["file"]).name: s["reason"] for s in result["skipped"]}
    assert sorted(reasons) == sorted(bad)
    assert "silent" in reasons["silent.wav"] and "not a readable" in reasons["notes.mp3"]
    assert "a key needs at least" in reasons["short.wav"]
    assert all(name in reason for name, reason in reasons.items())

    out = evaluate_cli(labels, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["n"] == len(KEYS) and len(data["skipped"]) == 3
    assert [row["true_key"] for row in data["files"]] == KEYS
    assert all(row["predicted_key"] == row["true_key"] and row["relation"] == "correct" and row["score"] == 1.0
               and 0 < row["probability"] <= 1 for row in data["files"])

    table = evaluate_cli(labels)
    assert table.returncode == 0 and "5 scored, 3 skipped" in table.stdout
    assert all("skipped" in line for line in table.stdout.splitlines() if any(b in line for b in bad))
    assert sum(any(b in line for b in bad) for line in table.stdout.splitlines()) == 3


def test_csv_rows_name_relation_and_score(labels, tmp_path):
    write_key_audio(tmp_path / "fifth.wav", "G major", seconds=3.0)  # labelled C major: a fifth off
    write_key_audio(tmp_path / "relative.wav", "A minor", seconds=3.0)  # labelled C major: its relative
    labels.write_text(labels.read_text() + "fifth.wav,C major\nrelative.wav,C major\n")
    add_bad_files(labels)
    out = evaluate_cli(labels, "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = {Path(r["file"]).name: r for r in csv.DictReader(io.StringIO(out.stdout))}
    assert list(next(csv.reader(io.StringIO(out.stdout)))) == ["file", "true_key", "predicted_key", "probability",
                                                                "relation", "score", "skipped"]
    assert (rows["fifth.wav"]["predicted_key"], rows["fifth.wav"]["relation"], rows["fifth.wav"]["score"]) == \
        ("G major", "fifth", "0.5")
    assert (rows["relative.wav"]["relation"], rows["relative.wav"]["score"]) == ("relative", "0.3")
    assert rows["t0.wav"]["relation"] == "correct" and float(rows["t0.wav"]["probability"]) > 0
    assert "silent" in rows["silent.wav"]["skipped"] and rows["silent.wav"]["predicted_key"] == ""


def test_nothing_scorable_fails_naming_every_reason(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,key\n")
    add_bad_files(labels)
    out = evaluate_cli(labels)
    assert out.returncode == 2 and "no file could be scored" in out.stderr
    assert all(name in out.stderr for name in ("silent.wav", "notes.mp3", "short.wav"))
    assert "Traceback" not in out.stderr


def test_on_a_dask_cluster_the_same_scores_as_here(labels):
    from distributed import LocalCluster

    (labels.parent / "broken.wav").write_bytes(b"RIFF not audio")
    labels.write_text(labels.read_text() + "broken.wav,C major\n")
    estimator = load_estimator("default")
    here = evaluate_labels(labels, estimator)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        there = evaluate_labels(labels, estimator, scheduler=cluster.scheduler_address)
    assert there["files"] == here["files"] and len(there["files"]) == len(KEYS)
    assert there["skipped"] == here["skipped"] and "broken.wav" in there["skipped"][0]["file"]
