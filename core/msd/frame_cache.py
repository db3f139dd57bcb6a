"""A DataFrame read from a file, kept as a columnar copy (Arrow IPC) until the file changes.

The copy lives under ``paths.CACHE_DIR/<kind>/`` in one file per source path. It records
the source's path, size and modification time and the reader's ``version``; any mismatch,
or a copy that is damaged or cut short, is ignored and rebuilt. It is written under a
temporary name and renamed, so a reader never sees half a copy. Caching is best effort:
a cache folder that cannot be written costs speed, never the frame.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from core import paths
from core.runtime.files import replacing

_META = b"keyscope"


def cache_file(source: Path, kind: str) -> Path:
    """Where the copy of ``source`` is kept."""
    digest = hashlib.sha1(str(source.resolve()).encode()).hexdigest()[:20]
    return paths.CACHE_DIR / kind / f"{digest}.arrow"


def _stamp(source: Path, version: str) -> dict:
    stat = source.stat()
    return {"source": str(source.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "version": version}


def cached_frame(source: str | os.PathLike, kind: str, version: str,
                 build: Callable[[Path], pd.DataFrame]) -> pd.DataFrame:
    """``build(source)``, or its copy from an earlier call while the file is unchanged."""
    source = Path(source)
    stamp, target = _stamp(source, version), cache_file(source, kind)
    frame = _read(target, stamp)
    if frame is None:
        frame = build(source)
        if _stamp(source, version) == stamp:  # not changed while it was read
            _write(target, frame, stamp)
    return frame


def _read(target: Path, stamp: dict) -> pd.DataFrame | None:
    try:
        # One thread: on a small shared machine (2 cores, 8 I/O threads) pyarrow's pools cost more than they
        # save; 1M rows took 4.75 s with them, 0.6 s without (issue 16).
        table = feather.read_table(target, memory_map=False, use_threads=False)
        if json.loads(table.schema.metadata[_META]) != stamp:
            return None
        return table.to_pandas(use_threads=False)
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return None  # missing, damaged, cut short or from another version: rebuild


def _write(target: Path, frame: pd.DataFrame, stamp: dict) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META: json.dumps(stamp).encode()})
        with replacing(target, unique=True) as tmp:  # the server and commands may write it at once
            feather.write_feather(table, tmp, compression="lz4")
    except (OSError, pa.ArrowException):
        pass  # best effort: the frame is read from its source next time
