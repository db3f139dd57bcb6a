"""Files written whole or not at all, and a file's version for cache keys."""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Iterator


@contextlib.contextmanager
def replacing(path: str | Path, unique: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; on leaving the block it replaces ``path`` in one rename, so
    a reader (or a run killed at any moment) sees the old file or the new one, never half of one. The temporary
    name is hidden and keeps the suffix (writers choose the format by it); it is removed when the block fails.
    By default the name is the same every time, so a resumed build overwrites what a killed one left;
    ``unique`` adds the process id, for files that several processes may write at once."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}{f'.{os.getpid()}' if unique else ''}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (:func:`replacing`, a temporary per process)."""
    with replacing(path, unique=True) as tmp:
        tmp.write_text(text)


def write_json(path: str | Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON whole or not at all."""
    write_text(path, json.dumps(data, indent=2, default=str))


def stamp(path: str | Path) -> float:
    """The modification time of ``path`` as a version for cache keys; 0.0 when it is missing or unreadable (the
    reader then names the problem)."""
    try:
        return Path(path).stat().st_mtime
    except (OSError, ValueError):
        return 0.0
