"""Ordinary mistakes on the command line: one line on stderr, exit status 2, no traceback, nothing written.

Option ranges are checked while the command line is parsed (core.argtypes), output paths before any work.
"""
from __future__ import annotations

import socket

import pytest

from core.cli import main


def one_line_error(capsys, argv: list[str], *words: str) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert all(word in lines[0] for word in words), lines[0]
    return lines[0]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_msd_out_into_a_missing_folder_or_onto_a_folder(capsys, summary_file, tmp_path):
    one_line_error(capsys, ["msd", str(summary_file), "--out", str(tmp_path / "no" / "sel.csv")],
                   "--out", "does not exist")
    one_line_error(capsys, ["msd", str(summary_file), "--out", str(tmp_path)], "--out", "is a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == [summary_file.name]


@pytest.mark.parametrize("value", ["-0.1", "1.5", "nan", "high"])
def test_msd_confidence_outside_0_to_1(capsys, summary_file, value):
    one_line_error(capsys, ["msd", str(summary_file), "--min-key-confidence", value], "from 0 to 1", repr(value))


@pytest.mark.parametrize("command", [["msd"], ["features", "--store", "STORE"], ["evaluate", "--model",
                                                                                   "template:krumhansl"]])
def test_an_empty_csv(capsys, tmp_path, command):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    argv = [command[0], str(empty), *[str(tmp_path / "store") if a == "STORE" else a for a in command[1:]]]
    one_line_error(capsys, argv, str(empty))


@pytest.mark.parametrize("option,value,words", [
    ("--duration", "0", "above 0"), ("--duration", "inf", "above 0"), ("--offset", "-1", "0 or more"),
    ("--jobs", "0", "at least 1"), ("--jobs", "1.5", "at least 1"), ("--scheduler", "nohost", "tcp://host:8786"),
])
def test_features_option_ranges(capsys, tmp_path, option, value, words):
    one_line_error(capsys, ["features", str(tmp_path), "--store", str(tmp_path / "s"), option, value], option, words)
    assert not (tmp_path / "s").exists()


def test_features_store_naming_a_file(capsys, tmp_path):
    (tmp_path / "store.h5").write_text("mine")
    one_line_error(capsys, ["features", str(tmp_path), "--store", str(tmp_path / "store.h5")], "--store", "is a file")
    assert (tmp_path / "store.h5").read_text() == "mine"


def test_features_unreachable_scheduler_fails_before_work(capsys, tmp_path):
    address = f"tcp://127.0.0.1:{closed_port()}"
    one_line_error(capsys, ["features", str(tmp_path), "--store", str(tmp_path / "s"), "--scheduler", address],
                   "no Dask scheduler reachable", address)
    assert not (tmp_path / "s").exists()


def test_corpus_out_naming_a_file_and_too_small_a_size(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    one_line_error(capsys, ["corpus", "--out", str(tmp_path / "notes.txt")], "--out", "is a file")
    one_line_error(capsys, ["corpus", "--out", str(tmp_path / "new"), "--size", "5"], "--size", "at least 24")
    assert (tmp_path / "notes.txt").read_text() == "mine" and not (tmp_path / "new").exists()


def test_help_still_exits_zero(capsys):
    assert main(["msd", "--help"]) == 0
    assert "--min-key-confidence" in capsys.readouterr().out
