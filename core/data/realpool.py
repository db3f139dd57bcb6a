"""A pool of real, unlabelled recordings for self-training: gathered, cut into excerpts, pseudo-labelled.

Real produced music differs from any renderer in ways no synth recipe imitates (voices, mixing, real
drums, real rooms). Debian ships hours of it under free licences as game soundtracks; a user may add
folders of their own. Nobody's key labels come with it: an excerpt gets a label only where several
independent estimators name the same key (self-training on agreed pseudo-labels).

Layout of the pool folder (default ``CACHE_DIR/realpool``, never in git)::

    pool.json                 what was gathered (packages, folders), excerpt settings
    audio/<source>/...        audio taken out of Debian packages (.deb, and the .pk3 zips inside some)
    tracks.csv                track,source: every recording (a folder's files stay where they are)
    excerpts/<source>/<n>.flac  EXCERPT_S of mono audio at 22,050 Hz, a few per track
    excerpts.csv              file,track,source,start_s
    votes.csv                 file,estimator,key,probability: each estimator's answer per excerpt
    labels.csv                file,key,song,votes: the excerpts whose answers agree (``labels:`` data spec)

Each step keeps what it finished, so a killed run resumes where it stopped.
"""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from core import paths
from core.audio.decode import AUDIO_SUFFIXES
from core.errors import KeyscopeError
from core.runtime.files import replacing, write_json, write_text

PACKAGES = ("wesnoth-1.16-music", "hyperrogue-music", "ufoai-music", "nexuiz-music", "warzone2100-music",
            "singularity-music", "drascula-music", "planetblupi-music-ogg", "asc-music")
EXCERPT_S = 20.0
SAMPLE_RATE = 22050
VOTERS = ("default", "template:krumhansl", "template:temperley", "essentia", "essentia:edma")

Progress = Callable[[int, int], None]


def default_pool() -> Path:
    return paths.CACHE_DIR / "realpool"


class PoolError(KeyscopeError, RuntimeError):
    """A step of the pool cannot run here (a missing tool, nothing gathered yet)."""


def _need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        raise PoolError(f"`{tool}` is not installed here; on Debian or Ubuntu: `sudo apt-get install {package}`")


def _manifest(pool: Path) -> dict:
    try:
        return json.loads((pool / "pool.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {"maker": "keyscope realpool", "packages": [], "folders": []}


def _write_manifest(pool: Path, manifest: dict) -> None:
    write_json(pool / "pool.json", manifest)


def gather(pool: Path, packages: Iterable[str] = PACKAGES, folders: Iterable[str | Path] = (),
           progress: Progress | None = None) -> pd.DataFrame:
    """Take the audio out of Debian ``packages`` (``apt-get download``, then ``dpkg-deb -x``) into
    ``pool/audio`` and list them with the audio files under ``folders`` in ``tracks.csv``. Packages done
    before are skipped; the .deb itself is deleted once its audio is out."""
    pool.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(pool)
    packages = [p for p in packages if p not in manifest["packages"]]
    if packages:
        _need("apt-get", "apt")
        _need("dpkg-deb", "dpkg")
    for i, package in enumerate(packages):
        if progress:
            progress(i, len(packages))
        _unpack_package(pool, package)
        manifest["packages"].append(package)
        _write_manifest(pool, manifest)
    for folder in folders:
        folder = str(Path(folder).expanduser().resolve())
        if not Path(folder).is_dir():
            raise PoolError(f"{folder}: no such folder")
        if folder not in manifest["folders"]:
            manifest["folders"].append(folder)
    _write_manifest(pool, manifest)
    rows = [(str(f), f.relative_to(pool / "audio").parts[0]) for f in sorted((pool / "audio").rglob("*"))
            if f.suffix.lower() in AUDIO_SUFFIXES]
    for folder in manifest["folders"]:
        rows += [(str(f), Path(folder).name) for f in sorted(Path(folder).rglob("*")) if f.suffix.lower() in AUDIO_SUFFIXES]
    tracks = pd.DataFrame(rows, columns=["track", "source"])
    _write_csv(tracks, pool / "tracks.csv")
    return tracks


def _unpack_package(pool: Path, package: str) -> None:
    """The audio files of one Debian package (and of the zip archives it holds) into ``pool/audio/<package>``."""
    with tempfile.TemporaryDirectory(dir=pool) as tmp:
        tmp = Path(tmp)
        done = subprocess.run(["apt-get", "download", package], cwd=tmp, capture_output=True, text=True)
        debs = list(tmp.glob("*.deb"))
        if done.returncode or not debs:
            raise PoolError(f"apt-get download {package} failed: {done.stderr.strip().splitlines()[-1:] or 'no .deb'}")
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(tmp / "root")], check=True)
        out = pool / "audio" / package
        partial = out.with_name(f".{package}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for n, f in enumerate(sorted((tmp / "root").rglob("*"))):
            if f.suffix.lower() in AUDIO_SUFFIXES:
                shutil.move(str(f), partial / f"{n:04d}-{f.name}")
            elif f.suffix.lower() in (".pk3", ".zip"):  # game data archives holding the soundtrack
                with zipfile.ZipFile(f) as archive:
                    for m, member in enumerate(archive.namelist()):
                        if Path(member).suffix.lower() in AUDIO_SUFFIXES:
                            (partial / f"{n:04d}-{m:04d}-{Path(member).name}").write_bytes(archive.read(member))
        shutil.rmtree(out, ignore_errors=True)
        partial.rename(out)


def cut_excerpts(pool: Path, per_track: int = 4, jobs: int = 1, progress: Progress | None = None) -> pd.DataFrame:
    """Up to ``per_track`` audible excerpts of :data:`EXCERPT_S` from each track, spread over its middle
    80 %, written as FLAC; tracks cut before are skipped."""
    from core.runtime.parallel import imap

    tracks = _read_csv(pool / "tracks.csv")
    if tracks.empty:
        raise PoolError(f"{pool}: nothing gathered yet; run `python -m core pool gather` first")
    done = _read_csv(pool / "excerpts.csv")
    seen = set(done["track"]) if not done.empty else set()
    todo = [(n, t, s) for n, (t, s) in enumerate(zip(tracks["track"], tracks["source"])) if t not in seen]
    rows = done.to_dict("records") if not done.empty else []
    calls = [(t, str(pool / "excerpts" / s), f"{n:05d}", per_track) for n, t, s in todo]
    for i, ((_, track, source), cut) in enumerate(zip(todo, imap(_cut_track, calls, jobs)), 1):
        rows += [{"file": f, "track": track, "source": source, "start_s": start} for f, start in cut]
        if progress:
            progress(i, len(todo))
        if i % 20 == 0 or i == len(todo):
            _write_csv(pd.DataFrame(rows, columns=["file", "track", "source", "start_s"]), pool / "excerpts.csv")
    return _read_csv(pool / "excerpts.csv")


def _cut_track(track: str, folder: str, stem: str, per_track: int) -> list[tuple[str, float]]:
    """(file, start) of the excerpts written for one track; none for a track that cannot be decoded."""
    import soundfile as sf

    from core.audio.decode import SILENCE_PEAK, AudioError, duration_s, load_audio

    try:
        total = duration_s(track)
    except (AudioError, RuntimeError, OSError):
        return []
    if total < EXCERPT_S:
        return []
    starts = np.linspace(0.1 * total, max(0.1 * total, 0.9 * total - EXCERPT_S), per_track)
    out = []
    for i, start in enumerate(starts):
        try:
            y = load_audio(track, sr=SAMPLE_RATE, offset=float(start), duration=EXCERPT_S)
        except (AudioError, RuntimeError, OSError):
            return out
        if y.size < EXCERPT_S * SAMPLE_RATE * 0.9 or np.max(np.abs(y)) < SILENCE_PEAK:
            continue
        target = Path(folder) / f"{stem}-{i}.flac"
        target.parent.mkdir(parents=True, exist_ok=True)
        with replacing(target) as tmp:
            sf.write(tmp, y, SAMPLE_RATE, format="FLAC")
        out.append((str(target), round(float(start), 2)))
    return out


def vote(pool: Path, voters: Iterable[str] = VOTERS, jobs: int = 1, progress: Progress | None = None) -> pd.DataFrame:
    """Each voter's key and probability for every excerpt, appended to ``votes.csv`` (excerpts already there
    are skipped). Essentia voters are left out where Essentia is not installed."""
    from core.estimate.estimators import essentia_available
    from core.runtime.parallel import imap

    excerpts = _read_csv(pool / "excerpts.csv")
    if excerpts.empty:
        raise PoolError(f"{pool}: no excerpts yet; run `python -m core pool excerpts` first")
    voters = tuple(v for v in voters if essentia_available() or not v.startswith("essentia"))
    done = _read_csv(pool / "votes.csv")
    todo = sorted(set(excerpts["file"]) - (set(done["file"]) if not done.empty else set()))
    chunks = [todo[i:i + 16] for i in range(0, len(todo), 16)]
    new_file = not (pool / "votes.csv").exists()
    with open(pool / "votes.csv", "a", newline="") as handle:
        writer = csv.writer(handle)
        if new_file:
            writer.writerow(["file", "estimator", "key", "probability"])
        for i, rows in enumerate(imap(_vote_chunk, [(chunk, voters) for chunk in chunks], jobs), 1):
            writer.writerows(rows)
            handle.flush()  # a killed run keeps every finished chunk
            if progress:
                progress(min(16 * i, len(todo)), len(todo))
    return _read_csv(pool / "votes.csv")


@lru_cache(maxsize=1)
def _voters(names: tuple[str, ...]) -> dict:
    from core.estimate.estimators import load_estimator

    return {name: load_estimator(name) for name in names}


def _vote_chunk(files: list[str], names: tuple[str, ...]) -> list[tuple[str, str, str, float]]:
    """(file, voter, key, probability) rows; estimators that read the same features share them."""
    from core.audio.decode import load_audio, resample
    from core.estimate.song import windows_proba
    from core.keys import Key

    rows = []
    for file in files:
        y = load_audio(file, sr=SAMPLE_RATE)
        features: dict = {}
        for name, estimator in _voters(names).items():
            kind = (type(estimator), estimator.settings)
            if kind not in features:
                audio = y if estimator.settings.sample_rate == SAMPLE_RATE else \
                    resample(y, SAMPLE_RATE, estimator.settings.sample_rate)
                features[kind] = estimator.features(audio)
            proba = windows_proba([features[kind]], estimator)[0]
            rows.append((file, name, Key.from_index(int(np.argmax(proba))).name, round(float(proba.max() / proba.sum()), 4)))
    return rows


def agree(votes: pd.DataFrame, min_votes: int = 3) -> pd.DataFrame:
    """``file, key, votes``: the excerpts on whose key at least ``min_votes`` voters agree (a strict
    majority of those that voted on it), ties left out."""
    counts = votes.groupby(["file", "key"]).size().rename("votes").reset_index()
    voters = votes.groupby("file")["estimator"].nunique().rename("voters")
    counts = counts.join(voters, on="file").sort_values(["file", "votes"], ascending=[True, False])
    best = counts.groupby("file").head(2).groupby("file")
    top = best.head(1).set_index("file")
    second = best.nth(1).set_index("file")["votes"].reindex(top.index, fill_value=0)
    keep = (top["votes"] >= min_votes) & (2 * top["votes"] > top["voters"]) & (top["votes"] > second)
    return top[keep].reset_index()[["file", "key", "votes"]]


def write_labels(pool: Path, min_votes: int = 3) -> pd.DataFrame:
    """``labels.csv`` (file,key,song,votes) of the agreed excerpts; a track's excerpts share its song, so a
    split never puts one recording on both sides."""
    votes = _read_csv(pool / "votes.csv")
    if votes.empty:
        raise PoolError(f"{pool}: no votes yet; run `python -m core pool vote` first")
    labels = agree(votes, min_votes).merge(_read_csv(pool / "excerpts.csv")[["file", "track"]], on="file")
    labels = labels.rename(columns={"track": "song"})[["file", "key", "song", "votes"]]
    _write_csv(labels, pool / "labels.csv")
    return labels


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype={"key": str})
    except (FileNotFoundError, pd.errors.EmptyDataError):
        return pd.DataFrame()


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    write_text(path, frame.to_csv(index=False))
