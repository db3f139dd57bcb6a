"""Bounded folder walks: a link naming ``/`` gets a clear answer within seconds, not a disk-wide walk."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterable

from core.errors import KeyscopeError
from core.service.access import inside

MAX_ENTRIES = 200_000  # files and folders looked at
MAX_SECONDS = 10.0
LIBRARY_MAX_ENTRIES = 5_000_000  # a whole music library named on the command line, not a web visitor's folder
LIBRARY_MAX_SECONDS = 600.0


class ScanLimit(KeyscopeError, RuntimeError):
    """A folder too big to walk here; the message says how far the walk got, not what it saw."""


def find_files(root: str | Path, suffixes: Iterable[str], max_entries: int = MAX_ENTRIES,
               max_seconds: float = MAX_SECONDS, progress: Callable[[int], None] | None = None,
               within: tuple[Path, ...] | None = None) -> list[Path]:
    """Sorted regular files under ``root`` whose suffix (lower-cased) is in ``suffixes``; symlinked folders are
    not followed, and with ``within`` (resolved roots: public mode) a file whose resolved path lies outside
    them (a symlink out) is left out. Raises :class:`ScanLimit` after ``max_entries`` entries or ``max_seconds`` seconds.
    ``progress(entries_seen)`` is called every 1,000 entries."""
    suffixes = {s.lower() for s in suffixes}
    deadline = time.monotonic() + max_seconds
    seen, found = 0, []
    for folder, dirs, files in os.walk(root, onerror=None, followlinks=False):
        dirs.sort()
        for name in files:
            path = Path(folder) / name
            if path.suffix.lower() in suffixes and path.is_file() and (within is None or inside(path, within)):
                found.append(path)
        seen += len(dirs) + len(files)
        if seen > max_entries or time.monotonic() > deadline:
            raise ScanLimit(f"too big to look through here (stopped after {seen:,} entries; the limits are "
                            f"{max_entries:,} entries and {max_seconds:g} s): choose a smaller folder")
        if progress and seen // 1000 != (seen - len(dirs) - len(files)) // 1000:
            progress(seen)
    return sorted(found)
