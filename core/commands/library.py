"""``python -m core library scan|list|mix|playlist|tag``: a DJ's music folder analysed, browsed, mixed by key,
tagged."""
from __future__ import annotations

import argparse
import sys

HELP = "A music library's keys: scan a folder into a database, list it, find tracks that mix, write key tags"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.argtypes import non_negative_int, output_file, scheduler_address
    from core.keys import ACCIDENTALS, NOTATIONS
    from core.library.db import default_db

    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--db", default=default_db(), help=f"library database (default {default_db()})")
        return sub

    scan = action("scan", "Analyse the audio files under a folder (recursive); only new or changed files are read")
    scan.add_argument("folder", metavar="FOLDER")
    scan.add_argument("--model", default="default", help="estimator, as for `predict` (default: default)")
    scan.add_argument("--jobs", type=non_negative_int, default=1, help="worker processes (default 1; 0: all cores)")
    scan.add_argument("--scheduler", type=scheduler_address, help="analyse on the Dask cluster at this address")

    listing = action("list", "Print the library: one line per file")
    listing.add_argument("--format", choices=("table", "csv", "json"), default="table")
    listing.add_argument("--notation", choices=NOTATIONS, default="standard")
    listing.add_argument("--accidentals", choices=ACCIDENTALS, default="preferred", help="how to spell tonics")

    mix = action("mix", "Tracks that mix harmonically with one track, closest first")
    mix.add_argument("track", metavar="TRACK", help="the track's path, or enough of it to be unique")
    mix.add_argument("--energy-boost", action="store_true", help="also the same mode one semitone up or down")
    mix.add_argument("--notation", choices=NOTATIONS, default="camelot")

    playlist = action("playlist", "An M3U playlist of chosen tracks in a harmonic order (smallest steps on the wheel)")
    playlist.add_argument("tracks", nargs="*", metavar="TRACK", help="tracks (default: the whole library)")
    playlist.add_argument("--out", type=output_file, help="M3U file to write (default: print it)")
    playlist.add_argument("--notation", choices=NOTATIONS, default="camelot")

    tag = action("tag", "Write each file's key into its tags (dry run unless --write)")
    tag.add_argument("--write", action="store_true", help="write the tags (default: only show what would change)")
    tag.add_argument("--backup", action="store_true", help="keep each original as <name>.bak before writing")
    tag.add_argument("--notation", choices=NOTATIONS, default="standard")
    tag.add_argument("--accidentals", choices=ACCIDENTALS, default="preferred")


def run(args: argparse.Namespace) -> int:
    import sqlite3

    try:
        return {"scan": _scan, "list": _list, "mix": _mix, "playlist": _playlist, "tag": _tag}[args.action](args)
    except sqlite3.DatabaseError as err:
        print(f"error: {args.db}: not a library database ({err})", file=sys.stderr)
        return 2
    except LookupError as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2


def _scan(args: argparse.Namespace) -> int:
    import os

    from tqdm import tqdm

    from core.audio.walk import ScanLimit
    from core.library.scan import ModelError, scan

    bars = []  # made at the first analysis: a refused folder prints no empty bar

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="file", desc="analysing", file=sys.stderr))
        bars[0].update(done - bars[0].n)

    try:
        summary = scan(args.folder, args.db, model=args.model, jobs=args.jobs or os.cpu_count() or 1,
                       scheduler=args.scheduler, progress=progress)
    except (ModelError, FileNotFoundError, NotADirectoryError, ScanLimit) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        for bar in bars:
            bar.close()
    for line in summary.error_lines:
        print(f"  {line}", file=sys.stderr)
    print(f"{summary.line()}; database {args.db}")
    return 0


def _rows(args: argparse.Namespace) -> list[dict]:
    from pathlib import Path

    from core.library import db

    if not Path(args.db).is_file():
        raise LookupError(f"{args.db}: no such library; make one with `python -m core library scan FOLDER`")
    con = db.connect(args.db)
    try:
        return db.rows(con)
    finally:
        con.close()


def _list(args: argparse.Namespace) -> int:
    from core.library.mix import table

    frame = table(_rows(args), args.notation, args.accidentals)
    if args.format == "csv":
        from core.service.downloads import without_formulas

        without_formulas(frame).to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(frame.to_json(orient="records", lines=True, force_ascii=False), end="")
    else:
        print(frame.drop(columns=["uncertain"]).fillna("").to_string(index=False) if len(frame) else "(empty library)")
    return 0


def _mix(args: argparse.Namespace) -> int:
    from core.keys import Key
    from core.library.mix import compatible_tracks, find_track

    rows = _rows(args)
    track = find_track(rows, args.track)
    if track.get("error"):
        print(f"error: {track['path']} has no key: {track['error']}", file=sys.stderr)
        return 1
    key = Key.from_index(track["class_index"])
    print(f"{track['path']}: {key.notation(args.notation)} ({key.name}, confidence {track['confidence']:.2f})")
    matches = compatible_tracks(rows, key, args.energy_boost, exclude=track["path"])
    for r in matches:
        print(f"  {Key.from_index(r['class_index']).notation(args.notation):>8}  {r['relation']:<26} "
              f"{r['confidence']:.2f}  {r['path']}")
    if not matches:
        print("  no track in the library mixes with it")
    return 0


def _playlist(args: argparse.Namespace) -> int:
    from core.library.mix import find_track, harmonic_path, m3u

    rows = _rows(args)
    chosen = [find_track(rows, text) for text in args.tracks] if args.tracks else rows
    text = m3u(harmonic_path(chosen), args.notation)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"{text.count(chr(10)) // 2} tracks in {args.out}")
    else:
        print(text, end="")
    return 0


def _tag(args: argparse.Namespace) -> int:
    from collections import Counter

    from core.library import db, tags

    rows = _rows(args)
    actions = tags.plan(rows, args.notation, args.accidentals)
    if args.write:
        con = db.connect(args.db)
        try:
            actions = tags.apply(con, actions, backup=args.backup)
        finally:
            con.close()
    for a in actions:
        was = f" (was {a.current})" if a.current else ""
        if a.action == "skip":
            print(f"skip     {a.path}: {a.why}")
        else:
            print(f"{'written' if a.action == 'written' else 'would write':<8} {a.path}: {a.value}{was}")
    counts = Counter(a.action for a in actions)
    print(f"{counts['written']} written, {counts['write']} to write (run with --write), {counts['skip']} skipped"
          if not args.write else f"{counts['written']} written, {counts['skip']} skipped")
    return 0
