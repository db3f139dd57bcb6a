"""Million Song Dataset metadata in its own HDF5 layout, read and written with h5py.

The MSD stores each track (``TR*.h5``) and the one-million-row summary file
(``msd_summary_file.h5``) as PyTables tables: compound datasets
``/metadata/songs``, ``/analysis/songs`` and ``/musicbrainz/songs`` whose
fields are listed below (from the MSD's ``hdf5_descriptors.py``; PyTables
orders the fields by name). :func:`read_catalog` reads a summary file, a
single track file, a subset folder tree (``A/B/C/TR*.h5``) or the seed's
selection CSV into one DataFrame; :func:`write_summary` and
:func:`write_track` write the same layout (the bundled corpus, tests and
benchmarks use them, so the default data and a real MSD copy share one reader).
"""
from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator, Mapping

import h5py
import numpy as np
import pandas as pd
import pyarrow as pa
from h5py import h5z
from zlib_ng import zlib_ng

from core.audio.walk import ScanLimit, find_files
from core.errors import KeyscopeError
from core.keys import ALL_KEYS
from core.msd.frame_cache import cached_frame
from core.runtime.files import replacing
from core.service.access import NotRegularFile, open_regular

MAXSTRLEN = 1024
_S = f"S{MAXSTRLEN}"
_I, _F = "<i4", "<f8"

# Field name -> numpy dtype, per table, as the MSD's PyTables descriptors define them.
METADATA_FIELDS = {
    "analyzer_version": "S32", "artist_7digitalid": _I, "artist_familiarity": _F,
    "artist_hotttnesss": _F, "artist_id": "S32", "artist_latitude": _F, "artist_location": _S,
    "artist_longitude": _F, "artist_mbid": "S40", "artist_name": _S, "artist_playmeid": _I,
    "genre": _S, "idx_artist_terms": _I, "idx_similar_artists": _I, "release": _S,
    "release_7digitalid": _I, "song_hotttnesss": _F, "song_id": "S32", "title": _S,
    "track_7digitalid": _I,
}
ANALYSIS_FIELDS = {
    "analysis_sample_rate": _I, "audio_md5": "S32", "danceability": _F, "duration": _F,
    "end_of_fade_in": _F, "energy": _F, "idx_bars_confidence": _I, "idx_bars_start": _I,
    "idx_beats_confidence": _I, "idx_beats_start": _I, "idx_sections_confidence": _I,
    "idx_sections_start": _I, "idx_segments_confidence": _I, "idx_segments_loudness_max": _I,
    "idx_segments_loudness_max_time": _I, "idx_segments_loudness_start": _I,
    "idx_segments_pitches": _I, "idx_segments_start": _I, "idx_segments_timbre": _I,
    "idx_tatums_confidence": _I, "idx_tatums_start": _I, "key": _I, "key_confidence": _F,
    "loudness": _F, "mode": _I, "mode_confidence": _F, "start_of_fade_out": _F, "tempo": _F,
    "time_signature": _I, "time_signature_confidence": _F, "track_id": "S32",
}
MUSICBRAINZ_FIELDS = {"idx_artist_mbtags": _I, "year": _I}
TABLES = {
    "metadata": METADATA_FIELDS,
    "analysis": ANALYSIS_FIELDS,
    "musicbrainz": MUSICBRAINZ_FIELDS,
}
# Per-track arrays beside the tables (empty in files Keyscope writes; never read).
_TRACK_ARRAYS = {
    "metadata": ("similar_artists", "artist_terms", "artist_terms_freq", "artist_terms_weight"),
    "analysis": ("bars_confidence", "bars_start", "beats_confidence", "beats_start",
                 "sections_confidence", "sections_start", "segments_confidence",
                 "segments_loudness_max", "segments_loudness_max_time", "segments_loudness_start",
                 "segments_start", "tatums_confidence", "tatums_start"),
    "musicbrainz": ("artist_mbtags", "artist_mbtags_count"),
}

# The catalog's columns: where each comes from.
CATALOG_SOURCES = {
    "track_id": "analysis", "song_id": "metadata", "artist_name": "metadata", "title": "metadata",
    "release": "metadata", "year": "musicbrainz", "duration": "analysis", "tempo": "analysis",
    "loudness": "analysis", "key": "analysis", "key_confidence": "analysis", "mode": "analysis",
    "mode_confidence": "analysis",
}
CATALOG_COLUMNS = list(CATALOG_SOURCES)
TEXT_COLUMNS = ("track_id", "song_id", "artist_name", "title", "release")
# The seed notebook's selection CSV (songs_conf=75_tracks_filt.csv).
SEED_CSV_COLUMNS = ["key", "key_confidence", "mode", "mode_confidence", "track_id", "song_id",
                    "artist_name", "song_title"]
_READ_BLOCK = 65_536  # rows decoded at a time: bounds memory on the million-row file
CACHE_FROM_BYTES = 4_000_000  # smaller HDF5 files (tens of thousands of rows) are read without a copy
_READER_VERSION = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:16]  # new code, new copies


class MSDError(KeyscopeError):
    """A file that is missing, broken, or not in the MSD layout. The message names the file, never
    what it holds."""


def read_catalog(path: str | os.PathLike, progress: Callable[[int, int], None] | None = None,
                 within: tuple[Path, ...] | None = None) -> pd.DataFrame:
    """The track catalog of a summary file, a track file, a subset folder or a seed CSV.

    Columns: :data:`CATALOG_COLUMNS` plus ``class_index`` (``2*key+mode``) and
    ``key_name`` ("F# minor"). ``progress(done, total)`` is called while a
    folder tree is read; ``within`` (public mode's roots) leaves out a folder's files that link outside them.
    Raises :class:`MSDError` naming the file on any failure; a FIFO or device is refused before it is opened.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise MSDError(f"{path}: no such file or folder")
    if path.is_dir():
        frame = _read_tree(path, progress, within)
    elif not path.is_file():  # is_file follows a link and is False for a FIFO, device or socket
        raise MSDError(f"{path}: not a regular file")
    elif path.suffix.lower() == ".csv":
        frame = _read_seed_csv(path)
    elif path.stat().st_size < CACHE_FROM_BYTES:
        frame = _read_h5(path)
    else:  # a columnar copy of the file, kept under the cache folder until the file changes
        frame = cached_frame(path, "catalogs", _READER_VERSION, _read_h5)
    return with_key_columns(frame)


def with_key_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``class_index`` and ``key_name``; rows with an impossible key/mode are dropped."""
    valid = frame["key"].between(0, 11) & frame["mode"].isin((0, 1))
    frame = frame.loc[valid].reset_index(drop=True)
    frame["class_index"] = (2 * frame["key"] + frame["mode"]).astype("int8")
    names = pd.Categorical.from_codes(frame["class_index"], categories=[k.name for k in ALL_KEYS])
    frame["key_name"] = names
    return frame


def _read_h5(path: Path) -> pd.DataFrame:
    try:
        handle = h5py.File(path, "r")
    except OSError:
        raise MSDError(f"{path}: not a readable HDF5 file") from None
    try:
        with handle:
            return _read_tables(handle, path)
    except MSDError:
        raise
    except (OSError, KeyError, ValueError, TypeError, zlib_ng.error):
        raise MSDError(f"{path}: broken or truncated MSD file") from None


def _read_tables(handle: h5py.File, path: Path) -> pd.DataFrame:
    datasets = {}
    for table in TABLES:
        name = f"/{table}/songs"
        dataset = handle.get(name)
        if not isinstance(dataset, h5py.Dataset) or dataset.dtype.names is None:
            raise MSDError(f"{path}: not in the MSD layout (no compound dataset {name})")
        missing = [c for c, t in CATALOG_SOURCES.items() if t == table and c not in dataset.dtype.names]
        if missing:
            raise MSDError(f"{path}: {name} lacks the MSD field(s) {', '.join(missing)}")
        datasets[table] = dataset
    rows = {len(d) for d in datasets.values()}
    if len(rows) != 1:
        raise MSDError(f"{path}: the MSD tables disagree on the number of tracks ({sorted(rows)})")
    columns: dict[str, list] = {c: [] for c in CATALOG_COLUMNS}
    for table, dataset in datasets.items():
        wanted = [c for c, t in CATALOG_SOURCES.items() if t == table]
        for block in _blocks(dataset, wanted):
            for column in wanted:
                values = block[column]  # text: null-padded bytes, kept as Arrow binary (no Python objects)
                columns[column].append(pa.array(values, pa.binary()) if column in TEXT_COLUMNS else values)
    frame = pd.DataFrame({c: _text(parts) if c in TEXT_COLUMNS else np.concatenate(parts) if parts
                          else np.array([]) for c, parts in columns.items()})
    return _typed(frame, path)


def _blocks(dataset: h5py.Dataset, names: list[str]) -> Iterator[Mapping[str, np.ndarray]]:
    """The ``names`` fields of a compound dataset, a block of rows at a time."""
    chunks = _raw_chunks(dataset)
    if chunks is None:
        for start in range(0, len(dataset), _READ_BLOCK):
            yield dataset.fields(names)[start:start + _READ_BLOCK]
        return
    shuffled = dataset.shuffle
    fields = {name: dataset.dtype.fields[name][:2] for name in names}  # (dtype, offset)
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # zlib-ng and numpy release the GIL
        yield from pool.map(lambda chunk: _unpack(*chunk, dataset.chunks[0], dataset.dtype.itemsize, shuffled, fields),
                            chunks)


def _raw_chunks(dataset: h5py.Dataset) -> list[tuple[bytes, int]] | None:
    """``(compressed chunk, rows)`` in row order where the table is stored as the MSD's and
    Keyscope's files are (1-D chunks, deflate, optionally shuffle), else None (h5py decodes).

    h5py converts such tables field by field; inflating whole chunks here (with zlib-ng) and
    taking only the needed bytes is several times as fast, and runs on all cores.
    """
    if dataset.chunks is None or len(dataset.chunks) != 1 or dataset.compression != "gzip":
        return None
    plist, file_type = dataset.id.get_create_plist(), dataset.id.get_type()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    if filters not in ([h5z.FILTER_DEFLATE], [h5z.FILTER_SHUFFLE, h5z.FILTER_DEFLATE]):
        return None
    if file_type.get_size() != dataset.dtype.itemsize or any(
            file_type.get_member_offset(file_type.get_member_index(name.encode())) != field[1]
            for name, field in dataset.dtype.fields.items()):
        return None
    step, n_rows = dataset.chunks[0], len(dataset)
    infos = sorted((dataset.id.get_chunk_info(i) for i in range(dataset.id.get_num_chunks())),
                   key=lambda info: info.chunk_offset)
    if [i.chunk_offset[0] for i in infos] != list(range(0, n_rows, step)) or any(i.filter_mask for i in infos):
        return None  # unwritten or unfiltered chunks
    return [(dataset.id.read_direct_chunk(i.chunk_offset)[1], min(step, n_rows - i.chunk_offset[0])) for i in infos]


def _unpack(raw: bytes, rows: int, chunk_rows: int, itemsize: int, shuffled: bool,
            fields: dict[str, tuple[np.dtype, int]]) -> dict[str, np.ndarray]:
    """The first ``rows`` rows of one chunk (the last chunk is padded to ``chunk_rows``); byte
    strings keep only the bytes up to the chunk's longest value."""
    data = _inflate(raw, chunk_rows * itemsize)
    grid = data.reshape(itemsize, -1) if shuffled else data.reshape(-1, itemsize).T  # grid[j]: byte j of each row
    out = {}
    for name, (dtype, offset) in fields.items():
        block = grid[offset:offset + dtype.itemsize, :rows]
        if dtype.kind == "S":
            used = np.flatnonzero(block.max(axis=1))
            dtype = np.dtype(f"S{used[-1] + 1 if len(used) else 1}")
        out[name] = block[:dtype.itemsize].T.copy().view(dtype).reshape(rows)  # a copy: the buffer is reused
    return out


_INFLATE_PIECE = 262_144  # small enough for the allocator to recycle, large enough to be cheap
_buffers = threading.local()


def _inflate(raw: bytes, size: int) -> np.ndarray:
    """A deflate stream of ``size`` bytes, inflated into this thread's reused buffer.

    Inflated in pieces, which the allocator recycles: a fresh multi-megabyte buffer per chunk
    cost more in page faults (1.3 million on the million-row file) than the inflating itself.
    """
    buffer = getattr(_buffers, "array", None)
    if buffer is None or len(buffer) < size:
        buffer = _buffers.array = np.empty(size, np.uint8)
    stream, done, tail = zlib_ng.decompressobj(), 0, raw
    while not stream.eof:
        piece = stream.decompress(tail, _INFLATE_PIECE)
        tail = stream.unconsumed_tail
        if not piece or done + len(piece) > size:
            raise zlib_ng.error("chunk cut short or longer than its rows")
        buffer[done:done + len(piece)] = np.frombuffer(piece, np.uint8)
        done += len(piece)
    if done != size:
        raise zlib_ng.error("chunk cut short")
    return buffer[:size]


def _text(parts: list[pa.Array]) -> pd.Series:
    """Arrow binary blocks as one text column; bytes that are not UTF-8 become U+FFFD."""
    binary = pa.chunked_array(parts, pa.binary())
    try:
        text = binary.cast(pa.string())
    except pa.ArrowInvalid:
        text = pa.array([v.decode("utf-8", "replace") for v in binary.to_pylist()], pa.string())
    return text.to_pandas()


# Column types of the catalog (confidences stay float64: they are compared with slider values).
_DTYPES = {**{c: "string" for c in TEXT_COLUMNS}, "key": "int8", "mode": "int8", "year": "int16",
           "duration": "float32", "tempo": "float32", "loudness": "float32",
           "key_confidence": "float64", "mode_confidence": "float64"}


def _typed(frame: pd.DataFrame, path: Path | None = None) -> pd.DataFrame:
    for column, dtype in _DTYPES.items():
        try:
            frame[column] = frame[column].astype(dtype)
        except (ValueError, TypeError):  # pandas' own message would quote the bad value
            raise MSDError(f"{path}: column {column} holds values of the wrong type") from None
    return frame


def _read_tree(folder: Path, progress: Callable[[int, int], None] | None,
               within: tuple[Path, ...] | None = None) -> pd.DataFrame:
    try:
        files = find_files(folder, [".h5"], within=within)
    except ScanLimit as err:
        raise MSDError(f"{folder}: {err}") from None
    if not files:
        raise MSDError(f"{folder}: no .h5 track files in this folder or below")
    frames = []
    for done, file in enumerate(files, 1):
        try:
            frames.append(_read_h5(file))
        except MSDError as err:  # name the bad file inside the folder, not by its full path
            raise MSDError(str(err).replace(str(file), f"{folder}: {file.relative_to(folder)}", 1)) from None
        if progress:
            progress(done, len(files))
    return pd.concat(frames, ignore_index=True)


def _read_seed_csv(path: Path) -> pd.DataFrame:
    try:
        with open_regular(path) as handle:
            frame = pd.read_csv(handle)
    except NotRegularFile:
        raise MSDError(f"{path}: not a regular file") from None
    except (OSError, ValueError):  # ParserError, EmptyDataError, UnicodeDecodeError are ValueErrors
        raise MSDError(f"{path}: not a readable CSV file") from None
    missing = [c for c in SEED_CSV_COLUMNS if c not in frame.columns]
    if missing:
        raise MSDError(f"{path}: not a seed selection CSV (missing column(s) {', '.join(missing)})")
    frame = frame.rename(columns={"song_title": "title"})
    for column, default in (("release", ""), ("year", 0), ("duration", np.nan), ("tempo", np.nan),
                            ("loudness", np.nan)):
        if column not in frame.columns:
            frame[column] = default
    return _typed(frame[CATALOG_COLUMNS].copy(), path)


# -- writing ------------------------------------------------------------------------------

def _table_array(frame: pd.DataFrame, fields: dict[str, str]) -> np.ndarray:
    """One MSD table's records for ``frame``; fields it lacks get the MSD's empty values."""
    records = np.zeros(len(frame), dtype=np.dtype(sorted(fields.items())))
    for name, dtype in fields.items():
        if name not in frame.columns:
            if dtype == _F:
                records[name] = np.nan
            continue
        column = frame[name]
        if dtype.startswith("S"):
            records[name] = [str(v).encode("utf-8")[: int(dtype[1:])] for v in column.fillna("").tolist()]
        else:
            records[name] = column.to_numpy(dtype=np.dtype(dtype), na_value=0 if dtype == _I else np.nan)
    return records


def _write_file(path: Path, frame: pd.DataFrame, with_arrays: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    n_rows = len(frame)
    with replacing(path) as tmp, h5py.File(tmp, "w") as handle:
        for table, fields in TABLES.items():
            group = handle.create_group(table)
            group.attrs["CLASS"] = np.bytes_("GROUP")
            dtype = np.dtype(sorted(fields.items()))
            songs = group.create_dataset(
                "songs", shape=(n_rows,), dtype=dtype, maxshape=(None,), chunks=(min(max(n_rows, 1), 512),),
                compression="gzip", compression_opts=1, shuffle=True,
            )
            for start in range(0, n_rows, _READ_BLOCK):  # in blocks: S1024 fields are large
                songs[start:start + _READ_BLOCK] = _table_array(frame.iloc[start:start + _READ_BLOCK], fields)
            # The attributes PyTables writes on a table, so PyTables-based tools accept our files.
            for name, value in (("CLASS", "TABLE"), ("VERSION", "2.6"), ("TITLE", f"table of {table}")):
                songs.attrs[name] = np.bytes_(value)
            songs.attrs["NROWS"] = np.int64(n_rows)
            for i, name in enumerate(dtype.names):
                songs.attrs[f"FIELD_{i}_NAME"] = np.bytes_(name)
            if with_arrays:
                for name in _TRACK_ARRAYS[table]:
                    textual = name in ("similar_artists", "artist_terms", "artist_mbtags")
                    group.create_dataset(name, shape=(0,), dtype="S256" if textual else "<f8")


def write_summary(path: str | os.PathLike, frame: pd.DataFrame) -> Path:
    """Write ``frame`` (catalog columns, any other MSD fields optional) as an MSD summary file."""
    path = Path(path)
    _write_file(path, frame, with_arrays=False)
    return path


def write_track(path: str | os.PathLike, row: pd.Series | dict) -> Path:
    """Write one track as an MSD ``TR*.h5`` file (tables of one row and the per-track arrays)."""
    path = Path(path)
    _write_file(path, pd.DataFrame([dict(row)]), with_arrays=True)
    return path


def write_subset_tree(root: str | os.PathLike, frame: pd.DataFrame) -> list[Path]:
    """Write each row as ``root/A/B/C/TRABC....h5``, the MSD subset's folder tree."""
    root = Path(root)
    written = []
    for row in frame.to_dict("records"):
        track_id = str(row["track_id"])
        written.append(write_track(root / track_id[2] / track_id[3] / track_id[4] / f"{track_id}.h5", row))
    return written


def seed_selection(frame: pd.DataFrame) -> pd.DataFrame:
    """The catalog rows with the seed's CSV columns (``title`` becomes ``song_title``)."""
    return frame.rename(columns={"title": "song_title"})[SEED_CSV_COLUMNS]
