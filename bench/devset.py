"""Dev-set benchmark: every system on a labels CSV of real recordings, by part and overall, and its speed there.

Each part's files go through :func:`core.evaluation.evaluate_labels` once per system; the
overall figures are the parts' figures weighted by their file counts (every figure is a mean
over files). Speed: :func:`speed.one_process` on the same files. Which part a file is in:
:func:`parts`. The default set is ``../shared/devset/labels.csv`` beside the repository.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
from tqdm import tqdm

import speed
import systems  # noqa: F401 - puts the repository root on sys.path
from accuracy import CATEGORIES
from core.audio import duration_s
from core.audio_index import read_labels
from core.evaluation import evaluate_labels
from core.keys import Key
from core.paths import ROOT

DEFAULT_LABELS = ROOT.parent / "shared" / "devset" / "labels.csv"
GTZAN_GENRES = ("blues", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
POPULAR, OTHER = "popular genres", "other"
FIGURES = ("accuracy", "mirex_weighted", *CATEGORIES)


def part_of(path: str | Path) -> str:
    """"popular genres" for a file named after a GTZAN genre ("rock.00001.flac"), else "other"."""
    return POPULAR if Path(path).name.split(".", 1)[0] in GTZAN_GENRES else OTHER


def parts(labels_csv: str | Path) -> pd.DataFrame:
    """The labels of ``labels_csv`` (:func:`core.audio_index.read_labels`) with a ``part`` column:
    the CSV's own ``part`` column where it has one and the row names one, else :func:`part_of`."""
    labels = read_labels(labels_csv)
    raw = pd.read_csv(labels_csv, dtype=str, keep_default_na=False)
    given = raw["part"].tolist() if "part" in raw else [""] * len(labels)
    return labels.assign(part=[text.strip() or part_of(path) for text, path in zip(given, labels["audio_path"])])


def _part_csvs(labels: pd.DataFrame, tmp: Path, limit: int | None) -> dict[str, Path]:
    """One ``file,key`` CSV per part (absolute paths), each cut to its first ``limit`` files if given."""
    csvs = {}
    for part, rows in labels.groupby("part", sort=False):
        rows = rows.head(limit) if limit else rows
        csvs[part] = tmp / f"part{len(csvs)}.csv"
        pd.DataFrame({"file": rows["audio_path"],
                      "key": [Key(int(k), int(m)).name for k, m in zip(rows["key"], rows["mode"])]}
                     ).to_csv(csvs[part], index=False)
    return csvs


def _overall(by_part: dict[str, dict]) -> dict:
    n = sum(scores["n"] for scores in by_part.values())
    return {"n": n, **{f: sum(s[f] * s["n"] for s in by_part.values()) / n for f in FIGURES}}


def run(names: list[str], labels_csv: Path, repeats: int, limit: int | None = None) -> dict:
    """``{"source", "parts": {part: files}, "systems": {label: {"overall" | part: scores}}, "speed"}``."""
    labels = parts(labels_csv)
    with tempfile.TemporaryDirectory() as tmp:
        csvs = _part_csvs(labels, Path(tmp), limit)
        chosen = {part: [Path(p) for p in pd.read_csv(csv)["file"]] for part, csv in csvs.items()}
        files = [f for part_files in chosen.values() for f in part_files]
        minutes = sum(duration_s(f) for f in files) / 60
        scored, timed = {}, {}
        for name in names:
            estimator = speed._estimator(name, files[0])  # loaded and warmed once, shared with the speed pass
            by_part = {}
            for part, csv in csvs.items():
                bar = lambda items: tqdm(items, desc=f"devset {name} on {part}", leave=False)  # noqa: E731
                result = evaluate_labels(csv, estimator, bar)
                by_part[part] = {"n": result["n"], "accuracy": result["accuracy"],
                                 "mirex_weighted": result["mirex_weighted"], **result["mirex_fractions"]}
            scored[estimator.name] = {"overall": _overall(by_part), **by_part}
            timed[estimator.name] = speed.one_process(name, files, minutes, repeats)
    return {"source": os.path.relpath(labels_csv, ROOT), "parts": {part: len(part_files) for part, part_files in chosen.items()},
            "systems": scored, "speed": {"files": len(files), "audio_min": round(minutes, 2), "repeats": repeats,
                                         "one_process": timed}}
