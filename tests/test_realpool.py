"""The real-audio pool: gathering a folder, excerpts, votes, agreement, resuming, and one line for a missing tool."""
from __future__ import annotations

import pandas as pd
import pytest

from core.audio.index import read_labels
from core.data import realpool
from tests.audio_fixtures import write_key_audio

TEMPLATES = ("template:krumhansl", "template:temperley", "template:shaath")


def test_agreement_needs_enough_votes_a_majority_and_no_tie():
    votes = pd.DataFrame(
        [("a", v, "C major") for v in "pqr"] + [("a", "s", "A minor")]            # 3 of 4: kept
        + [("b", v, k) for v, k in zip("pqrs", ["C major", "C major", "G major", "G major"])]  # a tie: dropped
        + [("c", v, "D minor") for v in "pq"] + [("c", "r", "F major")]           # 2 votes: under 3
        + [("d", v, "E major") for v in "pqr"] + [("d", v, k) for v, k in zip("st", ["B major", "A major"])]  # 3 of 5
        + [("e", v, "F minor") for v in "pqr"] + [("e", v, "Ab major") for v in "st"] + [("e", "u", "C major")]
        + [("e", "w", "G major")], columns=["file", "estimator", "key"])
    agreed = realpool.agree(votes, min_votes=3)
    assert dict(zip(agreed["file"], agreed["key"])) == {"a": "C major", "d": "E major"}
    assert realpool.agree(votes, min_votes=2).set_index("file")["key"].to_dict() == {
        "a": "C major", "c": "D minor", "d": "E major"}


def test_folder_to_labels_resumes_without_redoing_work(tmp_path):
    music = tmp_path / "music"
    write_key_audio(music / "album" / "one.flac", "A minor", seconds=26)
    write_key_audio(music / "two.ogg", "D major", seconds=45)
    write_key_audio(music / "jingle.wav", "C major", seconds=3)  # shorter than an excerpt: no excerpt
    (music / "broken.mp3").write_bytes(b"not audio at all")        # undecodable: no excerpt, no stop
    pool = tmp_path / "pool"

    tracks = realpool.gather(pool, packages=[], folders=[music])
    assert len(tracks) == 4 and set(tracks["source"]) == {"music"}
    excerpts = realpool.cut_excerpts(pool, per_track=2)
    assert sorted(pd.Series(excerpts["track"]).map(lambda t: t.rsplit("/", 1)[1]).unique()) == ["one.flac", "two.ogg"]
    assert len(excerpts) == 4
    stamps = {f: (pool / f).stat().st_mtime_ns for f in excerpts["file"]}

    votes = realpool.vote(pool, voters=TEMPLATES)
    assert len(votes) == 4 * len(TEMPLATES)
    labels = realpool.write_labels(pool, min_votes=2)
    assert set(labels["key"]) <= {"A minor", "D major"} and len(labels) >= 2
    read = read_labels(pool / "labels.csv")  # the file the `labels:`/`synth:...+realpool` data spec reads
    assert len(read) == len(labels) and read["song"].nunique() <= 2  # a track's excerpts share one song

    assert len(realpool.cut_excerpts(pool, per_track=2)) == 4
    assert {f: (pool / f).stat().st_mtime_ns for f in excerpts["file"]} == stamps  # not cut again
    assert len(realpool.vote(pool, voters=TEMPLATES)) == len(votes)               # not voted again


def test_a_missing_tool_names_the_package_that_brings_it(tmp_path, monkeypatch):
    monkeypatch.setattr(realpool.shutil, "which", lambda tool: None)
    with pytest.raises(realpool.PoolError, match=r"apt-get install dpkg|apt-get install apt"):
        realpool.gather(tmp_path / "pool", packages=["asc-music"])


def test_steps_out_of_order_say_which_step_comes_first(tmp_path):
    with pytest.raises(realpool.PoolError, match="pool gather"):
        realpool.cut_excerpts(tmp_path / "pool")
