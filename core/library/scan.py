"""Scan a music folder into the library: only new or changed files are analysed, in parallel, resumably.

A file whose size and modification time match its row is skipped without being read. Otherwise its
content hash decides: the same content as its row (touched only), as a row whose file is gone (a rename:
the row moves), or as another file still there (a duplicate: the analysis is copied); anything else is
analysed with :func:`core.estimate.song.predict_song` in worker processes (:func:`core.runtime.parallel.imap`) and
written as one row the moment it is done, so a scan killed at any point resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable

from core.audio.walk import LIBRARY_MAX_ENTRIES, LIBRARY_MAX_SECONDS
from core.errors import KeyscopeError
from core.library import db


@dataclass
class Summary:
    """What one scan did, file by file counts."""

    files: int = 0
    unchanged: int = 0
    analysed: int = 0
    errors: int = 0
    renamed: int = 0
    duplicates: int = 0
    removed: int = 0
    audio_s: float = 0.0
    error_lines: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.files} files: {self.analysed} analysed ({self.errors} with errors), "
                f"{self.unchanged} unchanged, "
                f"{self.renamed} renamed, {self.duplicates} duplicates, {self.removed} gone; "
                f"{self.audio_s / 60:.1f} min of audio analysed")


def file_hash(path: str | Path) -> str:
    """BLAKE2b of the file's bytes (32 hex digits), read in 1 MiB blocks."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@lru_cache(maxsize=2)
def _estimator(model: str):
    from core.estimate.estimators import load_estimator

    return load_estimator(model)


class ModelError(KeyscopeError, RuntimeError):
    """The model cannot be loaded: the scan stops (no file is to blame)."""


def analyse(path: str, model: str) -> dict:
    """The analysis columns of one file (``error`` set, the rest empty, when it cannot be analysed).
    Runs in a worker process; the estimator is loaded once per process."""
    from core.audio.decode import AudioError
    from core.estimate.song import predict_song

    try:
        estimator = _estimator(model)
    except Exception as err:  # noqa: BLE001 - reported once by the scan
        return {"fatal": f"cannot load model {model!r}: {err}"}
    try:
        result = predict_song(path, estimator).to_dict()
    except AudioError as err:
        return {"error": str(err)}
    except Exception as err:  # noqa: BLE001 - one bad file is one error row, never a stopped scan
        return {"error": f"{path}: cannot analyse: {type(err).__name__}: {err}"}
    change = result["key_change"]
    return {"duration_s": result["duration_s"], "key": result["key"], "class_index": result["class_index"],
            "camelot": result["camelot"], "open_key": result["open_key"], "confidence": result["confidence"],
            "top3": result["top3"], "tuning_cents": result["tuning_cents"],
            "key_change": change["text"] if change else None,
            "timeline": [{k: w[k] for k in ("start_s", "key", "confidence")} for w in result["timeline"]]}


Stat = tuple[str, int, float, str]  # path, size, mtime, content hash


def plan(con, files: list[Path], model: str, summary: Summary) -> tuple[list[Stat], list[Stat]]:
    """Settle every file that needs no analysis (unchanged, touched, renamed, duplicate) in the database and
    return those that do, and the duplicates of those (to copy once their twin is analysed)."""
    todo, twins, queued = [], [], set()
    for file in files:
        path = str(file)
        try:
            stat = file.stat()
        except OSError as err:
            db.upsert(con, {"path": path, "size": 0, "mtime": 0.0, "hash": "", "model": model, "analysed_at": now(),
                            "error": f"{path}: cannot read: {err.strerror or err}"})
            summary.errors += 1
            continue
        row = db.by_path(con, path)
        if row and row["size"] == stat.st_size and row["mtime"] == stat.st_mtime and row["model"] == model:
            summary.unchanged += 1
            continue
        try:
            digest = file_hash(file)
        except OSError as err:
            db.upsert(con, {"path": path, "size": stat.st_size, "mtime": stat.st_mtime, "hash": "", "model": model,
                            "analysed_at": now(), "error": f"{path}: cannot read: {err.strerror or err}"})
            summary.errors += 1
            continue
        if row and row["hash"] == digest and row["model"] == model:
            db.upsert(con, {**row, "size": stat.st_size, "mtime": stat.st_mtime})
            summary.unchanged += 1
            continue
        same = [r for r in db.by_hash(con, digest, model) if r["path"] != path]
        gone = [r for r in same if not os.path.exists(r["path"])]
        if gone:
            db.move(con, gone[0]["path"], path, stat.st_size, stat.st_mtime)
            summary.renamed += 1
        elif same:
            db.upsert(con, {**same[0], "path": path, "size": stat.st_size, "mtime": stat.st_mtime})
            summary.duplicates += 1
        elif digest in queued:
            twins.append((path, stat.st_size, stat.st_mtime, digest))
        else:
            todo.append((path, stat.st_size, stat.st_mtime, digest))
            queued.add(digest)
    return todo, twins


def scan(folder: str | Path, db_path: str | Path, model: str = "default", jobs: int = 1,
         scheduler: str | None = None, progress: Callable[[int, int], None] | None = None,
         max_entries: int = LIBRARY_MAX_ENTRIES, max_seconds: float = LIBRARY_MAX_SECONDS,
         keep: Callable[[Path], bool] | None = None) -> Summary:
    """Bring the library at ``db_path`` up to date with the audio files under ``folder`` (recursive, symlinked
    folders not followed; only files for which ``keep`` holds, when given). ``progress(done, total)`` follows
    the analyses. Raises :class:`ModelError` when the
    model cannot be loaded, ``FileNotFoundError`` for a missing folder, ``core.audio.walk.ScanLimit`` past the limits."""
    from core.audio.decode import AUDIO_SUFFIXES
    from core.audio.walk import find_files
    from core.runtime.parallel import imap

    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    files = find_files(folder, AUDIO_SUFFIXES, max_entries=max_entries, max_seconds=max_seconds)
    files = [f for f in files if keep is None or keep(f)]
    summary = Summary(files=len(files))
    con = db.connect(db_path)
    try:
        todo, twins = plan(con, files, model, summary)
        found = {str(f) for f in files}
        for row in db.rows(con, "WHERE path LIKE ? ESCAPE '\\'", (_like_prefix(folder),)):
            if row["path"] not in found and not os.path.exists(row["path"]):
                db.delete(con, row["path"])
                summary.removed += 1
        if progress:
            progress(0, len(todo))
        results = imap(analyse, [(path, model) for path, *_ in todo], jobs=jobs, scheduler=scheduler)
        for done, ((path, size, mtime, digest), result) in enumerate(zip(todo, results), 1):
            if "fatal" in result:
                raise ModelError(result["fatal"])
            db.upsert(con, {"path": path, "size": size, "mtime": mtime, "hash": digest, "model": model,
                            "analysed_at": now(), **result})
            summary.analysed += 1
            if result.get("error"):
                summary.errors += 1
                summary.error_lines.append(result["error"])
            else:
                summary.audio_s += result["duration_s"]
            if progress:
                progress(done, len(todo))
        first = {digest: path for path, _, _, digest in reversed(todo)}
        for path, size, mtime, digest in twins:
            db.upsert(con, {**db.by_path(con, first[digest]), "path": path, "size": size, "mtime": mtime})
            summary.duplicates += 1
    finally:
        con.close()
    return summary


def _like_prefix(folder: Path) -> str:
    """A LIKE pattern for every path inside ``folder``."""
    text = str(folder).rstrip(os.sep) + os.sep
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
