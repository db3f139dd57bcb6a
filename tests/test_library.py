"""The library on a generated music folder: nested folders, every format, a corrupt and an empty file, a
duplicate, a rename, a file changed between scans; resume after SIGKILL; concurrent scans; key tags."""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.cli import main
from core.keys import Key
from core.library import db, tags
from core.library.mix import compatible_tracks, find_track, harmonic_path, m3u, table, wheel_counts
from core.library.scan import file_hash, scan
from tests.audio_fixtures import write_key_audio

ROOT = Path(__file__).resolve().parents[1]
MODEL = "default"
SONGS = {"t0.wav": "C major", "a/t1.flac": "A minor", "a/b/t2.ogg": "G major", "a/t3.mp3": "D major",
         "t4.aiff": "F major"}
FORMATS = ("wav", "flac", "ogg", "mp3", "aiff")
SONG_S = 8.0  # long enough for the default to hear a lone triad as its tonic (at 4 s it hears some minor triads as v)


def make_music(root: Path) -> Path:
    """The generated folder: five songs in five formats, nested; a corrupt flac, an empty wav, a duplicate."""
    for name, key in SONGS.items():
        write_key_audio(root / name, key, seconds=SONG_S)
    good = (root / "t0.wav").read_bytes()
    (root / "a" / "b" / "corrupt.flac").write_bytes(good[:300] + bytes(range(256)) * 8)
    (root / "empty.wav").write_bytes(b"")
    shutil.copy(root / "t0.wav", root / "a" / "b" / "dup.wav")
    return root


def by_name(db_path: Path) -> dict[str, dict]:
    con = db.connect(db_path)
    try:
        return {Path(r["path"]).name: r for r in db.rows(con)}
    finally:
        con.close()


def test_scan_keys_every_format_and_bad_files_are_error_rows(tmp_path):
    music, db_path = make_music(tmp_path / "music"), tmp_path / "lib.sqlite"
    summary = scan(music, db_path, MODEL)
    rows = by_name(db_path)
    assert len(rows) == summary.files == 8
    assert summary.duplicates == 1 and summary.analysed == 7 and summary.errors == 2
    for name, key in SONGS.items():
        row = rows[Path(name).name]
        expected = Key.parse(key)
        assert (row["key"], row["camelot"], row["open_key"]) == (expected.name, expected.camelot, expected.open_key)
        assert row["error"] is None and row["hash"] == file_hash(music / name) and abs(row["tuning_cents"]) < 10
        assert row["top3"][0]["key"] == key and row["duration_s"] == pytest.approx(SONG_S, abs=0.1)
    assert rows["dup.wav"]["key"] == "C major" and rows["dup.wav"]["hash"] == rows["t0.wav"]["hash"]
    assert "corrupt.flac" in rows["corrupt.flac"]["error"] and rows["corrupt.flac"]["key"] is None
    assert "empty" in rows["empty.wav"]["error"]


def test_rescan_reads_only_new_changed_and_renamed_files(tmp_path):
    music, db_path = make_music(tmp_path / "music"), tmp_path / "lib.sqlite"
    scan(music, db_path, MODEL)
    before = by_name(db_path)
    time.sleep(1.1)  # analysed_at has one-second resolution
    (music / "t4.aiff").rename(music / "a" / "renamed.aiff")
    write_key_audio(music / "a" / "b" / "t2.ogg", "E minor", seconds=SONG_S)  # changed between scans
    write_key_audio(music / "new.flac", "Bb major", seconds=SONG_S)
    os.utime(music / "t0.wav")  # touched, same content
    summary = scan(music, db_path, MODEL)
    after = by_name(db_path)
    assert (summary.analysed, summary.renamed, summary.unchanged, summary.removed) == (2, 1, 6, 0)
    assert after["t2.ogg"]["key"] == "E minor" and after["new.flac"]["key"] == "Bb major"
    assert "t4.aiff" not in after and after["renamed.aiff"]["key"] == "F major"
    assert after["renamed.aiff"]["analysed_at"] == before["t4.aiff"]["analysed_at"]  # moved, not re-analysed
    for name in ("t0.wav", "t1.flac", "t3.mp3", "dup.wav", "corrupt.flac"):
        assert after[name]["analysed_at"] == before[name]["analysed_at"]
    (music / "new.flac").unlink()
    assert scan(music, db_path, MODEL).removed == 1 and "new.flac" not in by_name(db_path)


def _scan_process(music: Path, db_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "core", "library", "scan", str(music), "--db", str(db_path),
                             "--model", MODEL], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        con = sqlite3.connect(db_path, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM tracks").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:  # tables not made yet
        return 0


def test_a_scan_killed_with_sigkill_resumes_where_it_stopped(tmp_path):
    music, db_path = tmp_path / "music", tmp_path / "lib.sqlite"
    keys = [Key.from_index(i) for i in range(24)]
    for i, key in enumerate(keys):
        write_key_audio(music / f"{i // 6}" / f"{i:02d}.wav", key, seconds=12.0)
    child = _scan_process(music, db_path)
    deadline = time.monotonic() + 300
    while _count(db_path) < 1 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    done = _count(db_path)
    assert child.returncode == -signal.SIGKILL and 1 <= done < len(keys)
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    summary = scan(music, db_path, MODEL)
    assert summary.unchanged == done and summary.analysed == len(keys) - done
    rows = by_name(db_path)
    assert [rows[f"{i:02d}.wav"]["key"] for i in range(24)] == [k.name for k in keys]


def test_two_scans_of_one_folder_at_once_leave_one_sound_database(tmp_path):
    music, db_path = make_music(tmp_path / "music"), tmp_path / "lib.sqlite"
    first, second = _scan_process(music, db_path), _scan_process(music, db_path)
    outputs = [p.communicate(timeout=600) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    rows = by_name(db_path)
    assert len(rows) == 8 and all(rows[Path(n).name]["key"] == k for n, k in SONGS.items())


def _set_title(path: Path, title: str) -> None:
    import mutagen
    from mutagen.id3 import TIT2

    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    if path.suffix in (".wav", ".aiff", ".mp3"):
        audio.tags.add(TIT2(encoding=3, text=[title]))
    else:
        audio.tags["TITLE"] = [title]
    audio.save()


def _title(path: Path) -> str | None:
    import mutagen

    tags_ = mutagen.File(path).tags
    frame = tags_.get("TIT2") if path.suffix in (".wav", ".aiff", ".mp3") else tags_.get("TITLE")
    return str(frame[0]) if frame else None


def test_tags_written_read_back_audio_untouched_for_every_format(tmp_path):
    music, db_path = make_music(tmp_path / "music"), tmp_path / "lib.sqlite"
    for name in SONGS:  # another tag that must survive
        _set_title(music / name, f"title of {name}")
    scan(music, db_path, MODEL)
    decoded = {name: sf.read(music / name)[0] for name in SONGS}
    con = db.connect(db_path)
    plan = tags.plan(db.rows(con), notation="camelot")
    assert {Path(a.path).name for a in plan if a.action == "write"} == {"t0.wav", "t1.flac", "t2.ogg", "t3.mp3",
                                                                         "t4.aiff", "dup.wav"}
    assert {a.why for a in plan if a.action == "skip"} == {"no key: the scan could not analyse it"}
    done = tags.apply(con, plan, backup=True)
    assert sum(a.action == "written" for a in done) == 6
    for name, key in SONGS.items():
        path = music / name
        assert tags.read_key(path) == Key.parse(key).camelot
        assert _title(path) == f"title of {name}"
        assert np.array_equal(sf.read(path)[0], decoded[name]), name
        assert (music / (name + ".bak")).exists() and tags.read_key(music / (name + ".bak")) is None
        assert db.by_path(con, str(path))["hash"] == file_hash(path)  # row follows the new bytes
    assert not [f for f in music.rglob("*") if ".tmp" in f.name]  # no temporary copy left (runtime.files.replacing)
    con.close()
    assert scan(music, db_path, MODEL).analysed == 0  # tagged files are not analysed again
    assert all(a.action == "skip" for a in tags.plan(by_name(db_path).values(), notation="camelot"))


def test_a_file_changed_after_the_scan_is_not_tagged(tmp_path, capsys):
    music, db_path = make_music(tmp_path / "music"), tmp_path / "lib.sqlite"
    scan(music, db_path, MODEL)
    changed = write_key_audio(music / "t0.wav", "E major", seconds=SONG_S)
    before = changed.read_bytes()
    assert main(["library", "tag", "--db", str(db_path), "--write"]) == 0
    out = capsys.readouterr().out
    assert f"skip     {changed}: changed since the scan" in out
    assert changed.read_bytes() == before and tags.read_key(changed) is None
    assert tags.read_key(music / "a" / "t1.flac") == "A minor"


def test_dry_run_changes_nothing(tmp_path, capsys):
    music, db_path = make_music(tmp_path / "music"), tmp_path / "lib.sqlite"
    scan(music, db_path, MODEL)
    hashes = {p: file_hash(p) for p in music.rglob("*") if p.is_file()}
    assert main(["library", "tag", "--db", str(db_path), "--notation", "openkey"]) == 0
    out = capsys.readouterr().out
    assert f"would write {music / 't0.wav'}: 1d" in out and "0 written, 6 to write" in out
    assert hashes == {p: file_hash(p) for p in music.rglob("*") if p.is_file()}


def test_list_mix_and_playlist_commands(tmp_path, capsys):
    music, db_path = make_music(tmp_path / "music"), tmp_path / "lib.sqlite"
    assert main(["library", "scan", str(music), "--db", str(db_path), "--model", MODEL]) == 0
    assert "8 files: 7 analysed (2 with errors)" in capsys.readouterr().out
    assert main(["library", "list", "--db", str(db_path), "--format", "csv", "--notation", "openkey"]) == 0
    from io import StringIO

    import pandas as pd

    frame = pd.read_csv(StringIO(capsys.readouterr().out))
    assert len(frame) == 8 and dict(zip(frame["track"].map(lambda t: Path(t).name), frame["key"]))["t1.flac"] == "1m"
    assert main(["library", "mix", "t0.wav", "--db", str(db_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # C major (8B): its duplicate (same key), A minor (relative, 8A), G major (9B), F major (7B); not D major (10B)
    assert [line.split()[-1].rsplit("/", 1)[-1] for line in lines[1:]] == ["dup.wav", "t1.flac", "t2.ogg", "t4.aiff"]
    out = tmp_path / "set.m3u"
    assert main(["library", "playlist", "t3.mp3", "t0.wav", "t2.ogg", "--db", str(db_path), "--out", str(out)]) == 0
    entries = [line for line in out.read_text().splitlines() if not line.startswith("#")]
    assert [Path(e).name for e in entries] == ["t3.mp3", "t2.ogg", "t0.wav"]  # 10B -> 9B -> 8B
    assert main(["library", "mix", "nothing-like-this", "--db", str(db_path)]) == 2
    assert "no track in the library matches" in capsys.readouterr().err
    assert main(["library", "list", "--db", str(tmp_path / "none.sqlite")]) == 2


def test_mixing_rules_on_rows():
    rows = [{"path": f"/m/{k.replace(' ', '')}.wav", "class_index": Key.parse(k).index, "confidence": c,
             "duration_s": 60.0, "error": None}
            for k, c in [("A minor", 0.9), ("C major", 0.95), ("E minor", 0.8), ("D minor", 0.7), ("Bb minor", 0.6),
                         ("F# major", 0.9)]]
    found = compatible_tracks(rows, Key.parse("A minor"), exclude="/m/Aminor.wav")
    assert [(r["path"], r["relation"]) for r in found] == [
        ("/m/Cmajor.wav", "relative"), ("/m/Eminor.wav", "+1 on the wheel"), ("/m/Dminor.wav", "-1 on the wheel")]
    boosted = compatible_tracks(rows, Key.parse("A minor"), energy_boost=True)
    assert boosted[0]["path"] == "/m/Aminor.wav" and boosted[-1]["relation"] == "energy boost +1 semitone"
    path = harmonic_path(rows[:4])  # 8A -> 8B (a tie with 9A, more confident) -> 9A -> 7A (ties: confidence)
    assert [r["path"] for r in path] == ["/m/Aminor.wav", "/m/Cmajor.wav", "/m/Eminor.wav", "/m/Dminor.wav"]
    assert m3u(path[:1]).splitlines() == ["#EXTM3U", "#EXTINF:60,8A - Aminor", "/m/Aminor.wav"]
    assert wheel_counts(rows) == {"8A": 1, "8B": 1, "9A": 1, "7A": 1, "3A": 1, "2B": 1}
    shown = table(rows, notation="openkey", root="/m")
    assert list(shown["track"])[:2] == ["Aminor.wav", "Cmajor.wav"] and list(shown["key"])[:2] == ["1m", "1d"]
    assert list(shown["uncertain"]) == [False] * 6
    with pytest.raises(LookupError, match="matches 6 tracks"):
        find_track(rows, ".wav")
