"""HDF5 feature store keyed by audio content hash + feature settings id.

Layout: ``<path>/<settings.id>/settings.json`` and shard files ``shard-*.h5``, each written to a
temporary name and ``os.replace``d, so a killed run never leaves a half-written shard; readers
ignore temporary files and a rerun extracts only what is missing. Each shard holds ``features``
(n, bins, frames), ``hashes`` and ``item_ids``, so training can ask by track id.
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from core.audio.features import FeatureSettings, extract
from core.runtime.files import replacing

Progress = Callable[[int, int], None]


def content_hash(path: str | Path) -> str:
    """SHA-1 of the file's bytes (read in blocks)."""
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_item_id(path: str | Path) -> str:
    """An item id for an audio file that changes when the file does: its path and modification time."""
    return f"{path}@{os.stat(path).st_mtime_ns}"


def _extract_file(path: str, settings_dict: dict) -> tuple[np.ndarray | None, str | None]:
    """Features of one file, or an error message (worker side; runs in any process)."""
    from core.audio.decode import AudioError, load_audio

    settings = FeatureSettings.from_dict(settings_dict)
    try:
        y = load_audio(path, sr=settings.sample_rate, offset=settings.offset, duration=settings.duration)
    except AudioError as err:
        return None, str(err)
    return extract(y, settings), None


class FeatureStore:
    """Features of many audio files for one :class:`FeatureSettings`, stored in HDF5 shards."""

    def __init__(self, path: str | Path, settings: FeatureSettings):
        self.settings = settings
        self.root = Path(path) / settings.id
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "settings.json").write_text(json.dumps(settings.to_dict(), sort_keys=True))
        self.errors: dict[str, str] = {}
        self._scan()

    def _scan(self) -> None:
        import h5py

        self._hash_of: dict[str, str] = {}
        self._where: dict[str, tuple[Path, int]] = {}
        for shard in sorted(self.root.glob("shard-*.h5")):
            with h5py.File(shard, "r") as f:
                for row, (item, digest) in enumerate(zip(f["item_ids"].asstr()[:], f["hashes"].asstr()[:])):
                    self._hash_of[item] = digest
                    self._where.setdefault(digest, (shard, row))

    def __len__(self) -> int:
        return len(self._hash_of)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._hash_of

    def ids(self) -> list[str]:
        return sorted(self._hash_of)

    def hash_of(self, item_id: str) -> str:
        return self._hash_of[item_id]

    def get(self, item_id: str) -> np.ndarray:
        """Features of one stored item (a KeyError naming it if absent)."""
        if item_id not in self._hash_of:
            raise KeyError(f"{item_id!r} is not in the feature store {self.root}")
        return self._read(self._hash_of[item_id])

    def _read(self, digest: str) -> np.ndarray:
        import h5py

        shard, row = self._where[digest]
        with h5py.File(shard, "r") as f:
            return f["features"][row]

    def read_many(self, item_ids: Iterable[str]) -> np.ndarray:
        """Stacked features of ``item_ids`` in order, reading only those rows."""
        item_ids = list(item_ids)
        if not item_ids:
            return np.empty((0, *self.settings.shape), np.float32)
        return np.stack([self.get(i) for i in item_ids])

    def iter_batches(self, item_ids: Iterable[str] | None = None, batch_size: int = 64) -> Iterator[tuple[list[str], np.ndarray]]:
        """Yield ``(ids, features)`` batches without loading the whole store."""
        ids = list(self.ids() if item_ids is None else item_ids)
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            yield chunk, self.read_many(chunk)

    def _write_shard(self, rows: list[tuple[str, str, np.ndarray]]) -> None:
        import h5py

        name = f"shard-{uuid.uuid4().hex}.h5"
        with replacing(self.root / name) as tmp, h5py.File(tmp, "w") as f:
            f.create_dataset("features", data=np.stack([r[2] for r in rows]), compression="gzip")
            f.create_dataset("item_ids", data=[r[0] for r in rows], dtype=h5py.string_dtype())
            f.create_dataset("hashes", data=[r[1] for r in rows], dtype=h5py.string_dtype())
        for row, (item, digest, _) in enumerate(rows):
            self._hash_of[item] = digest
            self._where.setdefault(digest, (self.root / name, row))

    def extract_files(self, files: Iterable[str | Path], jobs: int = 1,
                      progress: Progress | None = None) -> tuple[dict[str, str], dict[str, str]]:
        """Extract audio files by path, each under :func:`file_item_id`; returns ``(item id by file for
        the files stored, error message by file)`` (missing or unreadable files are errors)."""
        items, errors = {}, {}
        for f in map(str, files):
            try:
                items[f] = file_item_id(f)
            except OSError:
                errors[f] = f"{f}: audio file missing"
        self.extract([(item, f) for f, item in items.items()], jobs=jobs, progress=progress)
        errors.update({f: self.errors[item] for f, item in items.items() if item in self.errors})
        return {f: item for f, item in items.items() if item in self}, errors

    def extract(self, items: Iterable[tuple[str, str | Path]], jobs: int = 1, shard_size: int = 16,
                progress: Progress | None = None, scheduler_address: str | None = None) -> int:
        """Extract features for ``(item_id, audio_path)`` items not yet stored; returns how many were added.

        Runs in ``jobs`` processes (joblib), or on the Dask cluster at ``scheduler_address``.
        Unreadable files are recorded in :attr:`errors` (item id -> message) and skipped.
        """
        todo, rows, aliased = [], [], []
        for item, path in items:
            if item in self._hash_of:
                continue
            digest = content_hash(path)
            if digest in self._where:  # same audio under another id: no extraction needed
                aliased.append((item, digest, self._where[digest]))
            else:
                todo.append((item, str(path), digest))
        for item, digest, _ in aliased:
            rows.append((item, digest, self._read(digest)))
        total, done = len(todo), 0
        for (item, path, digest), (features, error) in zip(todo, self._run(todo, jobs, scheduler_address)):
            done += 1
            if error is None:
                rows.append((item, digest, features))
            else:
                self.errors[item] = error
            if len(rows) >= shard_size:
                self._write_shard(rows)
                rows = []
            if progress:
                progress(done, total)
        if rows:
            self._write_shard(rows)
        return total - sum(item in self.errors for item, _, _ in todo) + len(aliased)

    def _run(self, todo: list, jobs: int, scheduler_address: str | None) -> Iterator:
        from core.runtime.parallel import imap

        settings = self.settings.to_dict()
        return imap(_extract_file, [(path, settings) for _, path, _ in todo], jobs, scheduler_address)
