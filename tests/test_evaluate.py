import json
import subprocess
import sys

import pytest

from core.estimators import load_estimator
from core.evaluation import evaluate_labels, evaluate_run
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
    assert out.returncode == 2 and "missing.wav" in out.stderr


def test_run_predictions_scored():
    result = evaluate_run(MODELS_DIR / "keynet-default")
    assert 0 < result["accuracy"] <= 1 and sum(map(sum, result["confusion"])) == result["n"]
