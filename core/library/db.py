"""The library's SQLite store: one row per file, in WAL mode so that scans and readers run at once.

Every write is one short transaction (an upsert by path), so a scan killed at any moment leaves only
whole rows behind, and two scans of the same folder at once wait for each other's writes
(``busy_timeout``) instead of failing or corrupting the file.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from core import paths

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000
COLUMNS = ("path", "size", "mtime", "hash", "duration_s", "key", "class_index", "camelot", "open_key",
           "confidence", "top3", "tuning_cents", "key_change", "timeline", "model", "analysed_at", "error")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tracks (
    path TEXT PRIMARY KEY,      -- absolute path of the file
    size INTEGER NOT NULL,      -- bytes, with mtime the cheap "unchanged?" test
    mtime REAL NOT NULL,
    hash TEXT NOT NULL,         -- content hash: changed files, renames and duplicates
    duration_s REAL,
    key TEXT,                   -- "F# minor"; NULL where error is set
    class_index INTEGER,        -- 2 * tonic + mode (core.keys)
    camelot TEXT,
    open_key TEXT,
    confidence REAL,
    top3 TEXT,                  -- JSON [{"key", "probability"}, ...]
    tuning_cents REAL,
    key_change TEXT,            -- "C major → C# minor at 2:31" or NULL
    timeline TEXT,              -- JSON: the key of each window
    model TEXT NOT NULL,
    analysed_at TEXT NOT NULL,  -- UTC, ISO 8601
    error TEXT                  -- one line for a file that could not be analysed
);
CREATE INDEX IF NOT EXISTS tracks_hash ON tracks (hash);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
"""


def default_db() -> Path:
    """Where the library lives unless ``--db`` says otherwise: the project's cache folder."""
    return paths.CACHE_DIR / "library.sqlite"


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating when missing) a library database in WAL mode; rows come back as ``sqlite3.Row``.
    Raises ``sqlite3.DatabaseError`` for a file that is not a library database."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")
    with transaction(con):
        con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    return con


class transaction:
    """``with transaction(con):`` one ``BEGIN IMMEDIATE`` ... ``COMMIT`` (rolled back on an exception)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, kind, value, traceback) -> None:
        self.con.execute("ROLLBACK" if kind else "COMMIT")


def upsert(con: sqlite3.Connection, row: dict) -> None:
    """Insert or replace the row of ``row["path"]`` (lists and dicts stored as JSON), in one transaction."""
    values = [json.dumps(row.get(c)) if isinstance(row.get(c), (list, dict)) else row.get(c) for c in COLUMNS]
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
    with transaction(con):
        con.execute(f"INSERT INTO tracks ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
                    f"ON CONFLICT(path) DO UPDATE SET {updates}", values)


def rows(con: sqlite3.Connection, where: str = "", params: tuple = ()) -> list[dict]:
    """Rows as dicts (``top3`` and ``timeline`` decoded), sorted by path."""
    found = con.execute(f"SELECT * FROM tracks {where} ORDER BY path", params).fetchall()
    return [decode(r) for r in found]


def decode(row: sqlite3.Row) -> dict:
    out = dict(row)
    for name in ("top3", "timeline"):
        out[name] = json.loads(out[name]) if out.get(name) else []
    return out


def by_path(con: sqlite3.Connection, path: str) -> dict | None:
    row = con.execute("SELECT * FROM tracks WHERE path = ?", (path,)).fetchone()
    return decode(row) if row else None


def by_hash(con: sqlite3.Connection, digest: str, model: str) -> list[dict]:
    """Analysed rows (no error) of this content and model, any path."""
    found = con.execute("SELECT * FROM tracks WHERE hash = ? AND model = ? AND error IS NULL ORDER BY path",
                        (digest, model)).fetchall()
    return [decode(r) for r in found]


def move(con: sqlite3.Connection, old: str, new: str, size: int, mtime: float) -> None:
    """A renamed file: its row under the new path, with the new stat, no re-analysis."""
    with transaction(con):
        con.execute("DELETE FROM tracks WHERE path = ?", (new,))
        con.execute("UPDATE tracks SET path = ?, size = ?, mtime = ? WHERE path = ?", (new, size, mtime, old))


def delete(con: sqlite3.Connection, path: str) -> None:
    with transaction(con):
        con.execute("DELETE FROM tracks WHERE path = ?", (path,))
