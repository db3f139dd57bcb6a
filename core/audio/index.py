"""Find audio for tracks: seed layout ``<root>/<key>-<mode>/<TRACK_ID>.<ext>``, a flat folder
``<TRACK_ID>.<ext>``, or a labels CSV with columns ``file,key`` (keys parsed by :class:`core.keys.Key`).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.audio.walk import ScanLimit, find_files
from core.errors import KeyscopeError
from core.keys import Key
from core.service.access import NotRegularFile, inside, open_regular

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")


class LabelsError(KeyscopeError, ValueError):
    """A labels CSV or audio folder that cannot be used; the message names the file and the bad rows
    (by line number: it never repeats what the file holds)."""


def scan_folder(root: str | Path, within: tuple[Path, ...] | None = None) -> pd.DataFrame:
    """One row per audio file under ``root``: ``track_id``, ``audio_path`` and, in the seed layout
    (``<key>-<mode>`` subfolders), ``key`` and ``mode``; flat folders give no key columns' values.
    With ``within`` (public mode's roots), files linking outside them are left out."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such audio folder")
    try:
        files = find_files(root, AUDIO_EXTENSIONS, within=within)
    except ScanLimit as err:
        raise LabelsError(f"{root}: {err}") from None
    rows = []
    for path in files:
        row = {"track_id": path.stem, "audio_path": str(path), "key": pd.NA, "mode": pd.NA}
        if path.parent != root:
            try:
                key = Key.from_folder(path.parent.name)
                row.update(key=key.tonic, mode=key.mode)
            except ValueError:
                pass
        rows.append(row)
    return pd.DataFrame(rows, columns=["track_id", "audio_path", "key", "mode", "song"])


def read_labels(csv_path: str | Path, within: tuple[Path, ...] | None = None) -> pd.DataFrame:
    """``track_id``, ``audio_path``, ``key``, ``mode``, ``song`` from a ``file,key[,song]`` CSV; relative paths
    resolve against the CSV's folder; ``song`` (which recording a file is, for grouped splits) defaults to
    the file. Bad rows (unknown key, missing file, with ``within`` a file outside those roots, whether it
    exists or not) raise one LabelsError; so do a missing CSV ("no such file") and a FIFO or device."""
    csv_path = Path(csv_path)
    if not csv_path.exists():
        raise LabelsError(f"{csv_path}: no such file")
    try:
        with open_regular(csv_path) as handle:
            frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    except NotRegularFile:
        raise LabelsError(f"{csv_path}: not a regular file") from None
    except (OSError, ValueError):  # ParserError, EmptyDataError, UnicodeDecodeError are ValueErrors
        raise LabelsError(f"{csv_path}: cannot read it as a labels CSV (a UTF-8 file,key table)") from None
    missing = {"file", "key"} - set(frame.columns)
    if missing:
        raise LabelsError(f"{csv_path}: needs columns file,key; missing {', '.join(sorted(missing))}")
    rows, problems = [], []
    songs = frame["song"] if "song" in frame.columns else frame["file"]
    for line, (file, text, song) in enumerate(zip(frame["file"], frame["key"], songs), start=2):
        path = Path(file) if Path(file).is_absolute() else csv_path.parent / file
        try:
            key = Key.parse(text)
        except ValueError:
            problems.append(f"line {line}: unknown key")
            continue
        if within is not None and not inside(path, within):
            problems.append(f"line {line}: audio file not available here")
            continue
        if not path.is_file():
            problems.append(f"line {line}: audio file not found")
            continue
        rows.append({"track_id": path.stem, "audio_path": str(path), "key": key.tonic, "mode": key.mode, "song": song})
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise LabelsError(f"{csv_path}: {len(problems)} bad row(s): {shown}")
    return pd.DataFrame(rows, columns=["track_id", "audio_path", "key", "mode", "song"])


def attach_audio(catalog: pd.DataFrame, source: str | Path, within: tuple[Path, ...] | None = None) -> pd.DataFrame:
    """``catalog`` (with ``track_id``) plus ``audio_path`` (None where absent) and ``has_audio``,
    from a folder (seed or flat layout) or a labels CSV; ``within`` as for :func:`read_labels`."""
    source = Path(source)
    found = read_labels(source, within) if source.suffix.lower() == ".csv" else scan_folder(source, within)
    paths = found.drop_duplicates("track_id").set_index("track_id")["audio_path"]
    out = catalog.copy()
    out["audio_path"] = out["track_id"].map(paths).astype(object).where(lambda s: s.notna(), None)
    out["has_audio"] = out["audio_path"].notna()
    return out
