"""Training data for key CNNs: examples by data spec (:mod:`core.data.specs`), grouped stratified splits,
transposition.

The bundled corpus gives semitone-grid windows or the capstone's 162x162 STFT images; ``synthetic:N``
gives key-profile tones plus noise, grouped in songs of 4 transpositions like the corpus; labelled audio
(``synth:`` corpora, the real pool, ``labels:`` CSVs) gives one excerpt per file, extracted once into the
feature store with all cores and read batch by batch, so the set need not fit in memory. Each model reads
the representation of :mod:`core.models.representations`; for ``tuned`` the store keeps 8 octaves from C1
and the whole excerpt, and each training batch crops a random run of frames and a random 7-octave band,
which transposes the example (:func:`crop_tuned`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.audio import features
from core.data.corpus import clip_file
from core.data.specs import REAL_POOL, parse, recipe_and_seed
from core.estimate.profiles import profile
from core.keys import N_CLASSES, Key
from core.models.representations import REPRESENTATIONS, semitone_settings, tuned_input
from core.runtime.files import replacing


@dataclass
class Dataset:
    """Examples ``x`` (n, freq, time, 1), class indices ``y``, and per-example track and song ids."""

    x: np.ndarray
    y: np.ndarray
    track_ids: np.ndarray
    song_ids: np.ndarray
    semitone_axis: bool = True  # rows are semitones, so transposition is a shift along axis 1
    crop: tuple[int, int] | None = None  # (rows, frames) of the model input, for x holding wider "tuned" features

    def subset(self, index: np.ndarray) -> "Dataset":
        return Dataset(self.x.take(index, axis=0), self.y[index], self.track_ids[index], self.song_ids[index],
                       self.semitone_axis, self.crop)

    def inputs(self) -> np.ndarray:
        """All examples as the model reads them (for "tuned": the lowest band, every frame)."""
        x = np.asarray(self.x)
        return x if self.crop is None else tuned_input(x[:, :, :, 0])[..., None]


class StoreArray:
    """Semitone windows read from a :class:`core.audio.store.FeatureStore` on demand.

    ``x[index]`` reads only those items (cropped to ``frames``, scaled to max 1, with a channel
    axis), so training batches never hold the whole set; ``take`` selects items without reading.
    """

    def __init__(self, store, item_ids: list[str], frames: int | None) -> None:
        self.store, self.item_ids, self.frames = store, np.asarray(item_ids), frames

    def __len__(self) -> int:
        return len(self.item_ids)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (len(self), self.store.settings.shape[0], self.frames or self.store.settings.shape[1], 1)

    def __getitem__(self, index) -> np.ndarray:
        x = self.store.read_many(np.atleast_1d(self.item_ids[index]).tolist())[:, :, :self.frames]
        return (x / np.maximum(x.max(axis=(1, 2), keepdims=True), 1e-6))[..., None].astype(np.float32)

    def take(self, index, axis: int = 0) -> "StoreArray":
        return StoreArray(self.store, self.item_ids[index].tolist(), self.frames)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self[np.arange(len(self))] if dtype is None else self[np.arange(len(self))].astype(dtype)


def synthetic(n: int, shape: tuple[int, int] = (48, 16), seed: int = 0) -> Dataset:
    """``n`` semitone-grid examples of ``shape`` (semitones x frames) whose energy follows the key's profile."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    y = np.arange(n) % N_CLASSES
    rng.shuffle(y)
    x = np.empty((n, rows, cols, 1), np.float32)
    for i, index in enumerate(y):
        weights = profile(Key.from_index(int(index)), "krumhansl")
        weights = (weights - weights.min()) / np.ptp(weights)
        grid = np.resize(weights, rows)[:, None] * rng.random((rows, cols))
        x[i, :, :, 0] = grid + 0.3 * rng.random((rows, cols))
    songs = np.array([f"SO{i // 4:06d}" for i in range(n)])
    return Dataset(x, y.astype(np.int64), np.array([f"TRSYN{i:06d}" for i in range(n)]), songs)


def check_spec(spec: str, representation: str = "semitone") -> None:
    """Raise ValueError saying what is wrong with a data spec, before any work: the form, the representation
    the data comes in, a built corpus, a readable labels CSV whose files exist."""
    parsed = parse(spec)
    if parsed.kind == "corpus":
        from core import paths

        if representation not in ("semitone", "stft162"):
            raise ValueError(f"the corpus is available as 'semitone' or 'stft162', not {representation!r}")
        if not paths.DEFAULT_CATALOG.is_file():
            raise ValueError(f"the corpus is not built yet (no {paths.DEFAULT_CATALOG}); run `python -m core corpus`")
    elif parsed.labelled_audio:
        from core.audio.index import read_labels

        if representation not in ("semitone", "tuned"):
            raise ValueError(f"labelled audio is available as 'semitone' or 'tuned', not {representation!r}")
        for csv in label_files(spec):
            if read_labels(csv).empty:
                raise ValueError(f"{csv}: no labelled files")


def load(spec: str, input_shape: tuple[int, int, int], seed: int = 0, representation: str = "semitone") -> Dataset:
    """The examples named by a data spec (checked by :func:`check_spec`), shaped for ``input_shape``."""
    check_spec(spec, representation)
    parsed = parse(spec)
    if parsed.kind == "synthetic":
        return synthetic(parsed.count, tuple(input_shape[:2]), seed)
    if parsed.kind == "corpus":
        return _corpus(input_shape, representation)
    return _labelled(label_files(spec), input_shape, representation)


def describe(spec: str, data: Dataset) -> dict:
    """What a run trained on: the spec, counts, and a generated corpus's manifest (recipe, size, seed,
    soundfonts) when the spec names one."""
    import json

    info = {"spec": spec, "examples": int(len(data.y)), "songs": int(len(set(data.song_ids.tolist())))}
    if parse(spec).labelled_audio:
        manifests = [csv.parent / name for csv in label_files(spec) for name in ("synth.json", "pool.json")]
        info["corpora"] = [json.loads(m.read_text()) for m in manifests if m.is_file()]
    return info


def labels_digest(spec: str) -> str | None:
    """12 hex digits of the labels CSVs a ``synth:`` or ``labels:`` spec reads; None for other specs, or where a CSV
    is missing or unreadable (training then says why). The same spec over other labels (a pool labelled again, a
    corpus rebuilt at another size) is other data, so a run's settings carry this (:func:`core.training.launch.pin_data`)."""
    if not parse(spec).labelled_audio:
        return None
    from core.service.access import open_regular

    digest = hashlib.sha256()
    try:
        for csv in label_files(spec):
            with open_regular(csv) as handle:  # a FIFO named as labels cannot hang this
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    except (ValueError, OSError):
        return None
    return digest.hexdigest()[:12]


def label_files(spec: str) -> list[Path]:
    """The labels CSVs of a ``labels:PATH.csv`` or ``synth:NAME[+NAME...]`` spec (a ValueError saying how to
    make a generated corpus that is not there)."""
    parsed = parse(spec)
    if parsed.kind == "labels":
        return [parsed.path]
    from core.data.synth.build import default_out

    files = []
    for name in parsed.names:
        if name == REAL_POOL:
            files.append(_pool_labels())
            continue
        recipe, seed = recipe_and_seed(name)
        csv = default_out(recipe, seed) / "labels.csv"
        if not csv.is_file():
            raise ValueError(f"no generated corpus {name!r} yet; make it with `python -m core corpus --recipe {recipe}"
                             f" --seed {seed}`")
        files.append(csv)
    return files


def _pool_labels() -> Path:
    from core.data.realpool import default_pool

    csv = default_pool() / "labels.csv"
    if not csv.is_file():
        raise ValueError("no labelled real pool yet; make it with `python -m core pool all`")
    return csv


def corpus_root(spec: str) -> Path | None:
    """The folder a run's test track ids are written relative to: ``CACHE_DIR/synth`` for ``synth:`` specs
    (ids such as ``popular-s0/audio/3-0/TRSYN000000000006.ogg``), the CSV's folder for ``labels:``; None for
    the bundled corpus and synthetic data, whose ids are track ids."""
    parsed = parse(spec)
    if parsed.kind == "synth":
        from core import paths

        return paths.CACHE_DIR / "synth"
    if parsed.kind == "labels":
        return parsed.path.expanduser().parent
    return None


def relative_track_ids(track_ids, spec: str) -> list[str]:
    """Test track ids as a run stores them: audio paths relative to :func:`corpus_root` (no machine's
    folders in a shipped model), others unchanged."""
    root = corpus_root(spec)
    if root is None:
        return [str(t) for t in track_ids]
    root = root.resolve()
    out = []
    for track in map(str, track_ids):
        path = Path(track).resolve()
        out.append(str(path.relative_to(root)) if path.is_relative_to(root) else track)
    return out


def build_hint(spec: str, corpora: list[dict] | None = None) -> str:
    """How to make the audio a data spec names, as one line: the ``python -m core corpus`` commands
    (with the recipe, size and seed of ``corpora``, a run's ``data.json``, when given)."""
    parsed = parse(spec)
    if parsed.kind == "corpus":
        return "build the bundled corpus with `python -m core corpus`"
    if parsed.kind == "synth":
        if corpora:
            commands = [f"python -m core corpus --recipe {c['recipe']} --size {c['size']} --seed {c['seed']}"
                        for c in corpora]
        else:
            commands = [f"python -m core corpus --recipe {recipe} --seed {seed}"
                        for recipe, seed in map(recipe_and_seed, parsed.names)]
        return "make the model's generated corpora with " + ", ".join(f"`{c}`" for c in commands)
    return "the run's labelled audio is not on this server"


def _labelled(csv_paths: list[Path], input_shape: tuple[int, int, int], representation: str = "semitone") -> Dataset:
    """One excerpt (from the start) of each file of labels CSVs, through the feature store: a semitone
    window, or :data:`TUNED_SECONDS` of tuned semitones.

    Files that cannot be decoded are left out with a warning giving their lines; files are grouped in the
    splits by the CSV's ``song`` column (each file its own song without one).
    """
    import os
    import warnings

    import pandas as pd
    from tqdm import tqdm

    from core import paths
    from core.audio.index import read_labels
    from core.audio.store import FeatureStore

    labels = pd.concat([read_labels(csv) for csv in csv_paths], ignore_index=True)
    csv_path = " + ".join(map(str, csv_paths))
    tuned = representation == "tuned"
    store = FeatureStore(paths.CACHE_DIR / "features", REPRESENTATIONS[representation].settings(input_shape))
    with tqdm(total=len(labels), desc="features", unit="file", disable=None, leave=False) as bar:
        stored, errors = store.extract_files(labels["audio_path"], jobs=os.cpu_count() or 1,
                                             progress=lambda done, total: bar.update(done - bar.n))
    if errors:  # by line number: the file names are the CSV's content
        lines = [str(line) for line, f in enumerate(labels["audio_path"], start=2) if f in errors]
        more = f" and {len(lines) - 10} more" if len(lines) > 10 else ""
        warnings.warn(f"{len(errors)} file(s) of {csv_path} left out (not decodable audio): "
                      f"line(s) {', '.join(lines[:10])}{more}", stacklevel=2)
    frame = labels[labels["audio_path"].isin(list(stored))]
    files = frame["audio_path"].to_numpy(dtype=str)
    return Dataset(StoreArray(store, [stored[f] for f in files], None if tuned else input_shape[1]),
                   (2 * frame["key"] + frame["mode"]).to_numpy(dtype=np.int64), files,
                   frame["song"].to_numpy(dtype=str), crop=tuple(input_shape[:2]) if tuned else None)


def _corpus(input_shape: tuple[int, int, int], representation: str = "semitone") -> Dataset:
    """The bundled corpus as examples of ``input_shape``, cached on disk by corpus content and settings.

    ``semitone``: non-overlapping windows of a log-magnitude constant-Q transform (one bin per
    semitone from C2). ``stft162``: one image per clip, the capstone's input as
    :func:`core.audio.features.extract` makes it.
    """
    from core import paths
    from core.msd.hdf5 import MSDError, read_catalog

    front = REPRESENTATIONS[representation]
    try:
        catalog = read_catalog(paths.DEFAULT_CATALOG)
    except MSDError as err:
        raise ValueError(f"the corpus is not built yet ({err}); run `python -m core corpus`") from None
    files = [clip_file(paths.DEFAULT_AUDIO_DIR, t, i) for t, i in zip(catalog["track_id"], catalog["class_index"])]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise ValueError(f"{missing[0]}: audio missing ({len(missing)} files); rebuild with `python -m core corpus`")
    digest = hashlib.sha256(json.dumps([[f.name, f.stat().st_size] for f in files] + [list(input_shape), representation, CACHE_VERSION])
                            .encode()).hexdigest()[:16]
    cache = paths.CACHE_DIR / "datasets" / f"corpus-{digest}.npz"
    if cache.exists():
        with np.load(cache, allow_pickle=False) as stored:
            return Dataset(stored["x"], stored["y"], stored["track_ids"], stored["song_ids"],
                           semitone_axis=representation == "semitone")
    from tqdm import tqdm

    from core.audio.decode import load_audio

    xs, ys, tracks, songs = [], [], [], []
    for f, track, song, index in tqdm(list(zip(files, catalog["track_id"], catalog["song_id"], catalog["class_index"])),
                                      desc="corpus features", unit="clip", disable=None, leave=False):
        y = load_audio(f, sr=front.settings(input_shape).sample_rate)
        windows = front.inputs(y, input_shape)[..., 0]
        xs.append(windows)
        ys += [index] * len(windows)
        tracks += [track] * len(windows)
        songs += [song] * len(windows)
    data = Dataset(np.concatenate(xs)[..., None], np.array(ys, np.int64), np.array(tracks), np.array(songs),
                   semitone_axis=representation == "semitone")
    cache.parent.mkdir(parents=True, exist_ok=True)
    with replacing(cache) as tmp:
        np.savez(tmp, x=data.x, y=data.y, track_ids=data.track_ids, song_ids=data.song_ids)
    return data


CACHE_VERSION = 2  # bump when the computation of cached corpus examples changes


def crop_tuned(x: np.ndarray, y: np.ndarray, rows: int, frames: int,
               rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Training crops of stored tuned features ``x`` (n, all rows, frames, 1): a band of ``rows`` starting
    ``o`` semitones up (random 0..11, 0 without ``rng``), which transposes the example down by ``o``
    (labels follow), and a run of ``frames`` frames (random start, the first without ``rng``); each
    scaled to max 1."""
    n, total_rows, total_frames = x.shape[:3]
    shifts = rng.integers(0, min(12, total_rows - rows + 1), n) if rng else np.zeros(n, int)
    starts = rng.integers(0, max(1, total_frames - frames + 1), n) if rng else np.zeros(n, int)
    out = np.stack([x[i, o:o + rows, t:t + frames, 0] for i, (o, t) in enumerate(zip(shifts, starts))])
    out = out / np.maximum(out.max(axis=(1, 2), keepdims=True), 1e-6)
    keys, modes = y // 2, y % 2
    return out[..., None].astype(np.float32), 2 * ((keys - shifts) % 12) + modes


LOG_RANGE = float(np.log1p(features.TUNED_GAIN))  # the largest tuned feature, before scaling to max 1


def reshape_timbre(x: np.ndarray, rng: np.random.Generator, max_db: float) -> np.ndarray:
    """Tuned features ``x`` (n, rows, frames, 1), each scaled to max 1, as if heard through a random equaliser:
    per example a tilt over the rows plus two bumps of random centre and width (4 to 18 semitones), at most
    ``max_db`` dB either way, applied to the magnitudes under the log and rescaled to max 1. Keys do not
    change; what a renderer's instruments put in each register does, so the network cannot learn it."""
    n, rows = x.shape[:2]
    r = np.arange(rows)[None, :]
    tilt = rng.uniform(-1, 1, (n, 1)) * (2 * r / max(rows - 1, 1) - 1)
    centres, widths, heights = rng.uniform(0, rows, (n, 2, 1)), rng.uniform(4, 18, (n, 2, 1)), rng.uniform(-1, 1, (n, 2, 1))
    bumps = (heights * np.exp(-0.5 * ((r[:, None, :] - centres) / widths) ** 2)).sum(axis=1)
    gain_db = max_db * np.clip(0.5 * tilt + 0.5 * bumps, -1, 1)
    magnitude = np.expm1(np.asarray(x, np.float64) * LOG_RANGE) * 10 ** (gain_db[:, :, None, None] / 20)
    magnitude /= np.maximum(magnitude.max(axis=(1, 2, 3), keepdims=True), 1e-12)
    return (np.log1p(features.TUNED_GAIN * magnitude) / LOG_RANGE).astype(np.float32)


def split(data: Dataset, test_fraction: float, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train/validation/test indices, stratified by class and grouped by song (no song in two parts).

    Stratification needs as many examples per class as folds; tiny sets fall back to a grouped shuffle.
    """
    import warnings

    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

    def cut(index: np.ndarray, fraction: float, salt: int) -> tuple[np.ndarray, np.ndarray]:
        folds = max(2, round(1 / fraction))
        if np.bincount(data.y[index]).max() >= folds:
            splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed + salt)
        else:  # too few examples per class to stratify: still grouped by song
            splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed + salt)
        with warnings.catch_warnings():  # sklearn warns when some class has fewer members than folds
            warnings.simplefilter("ignore", UserWarning)
            keep, held = next(splitter.split(index, data.y[index], data.song_ids[index]))
        return index[keep], index[held]

    rest, test = cut(np.arange(len(data.y)), test_fraction, 0)
    train, val = cut(rest, val_fraction / (1 - test_fraction), 1) if val_fraction > 0 else (rest, rest[:0])
    return train, val, test


def transpose(x: np.ndarray, y: np.ndarray, shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift each semitone-grid example up ``shifts[i]`` semitones along its rows
    (:func:`core.audio.features.transpose`: what leaves the top is gone); labels follow ((key+k)%12)."""
    grid = semitone_settings()
    out = np.stack([features.transpose(xi, int(k), grid) for xi, k in zip(x, shifts)])
    keys, modes = y // 2, y % 2
    return out, 2 * ((keys + shifts) % 12) + modes
