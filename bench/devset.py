"""Dev-set benchmark: every system on a labels CSV of real recordings, by part and overall, and its speed there.

Each part's files go through :func:`core.evaluation.scoring.evaluate_labels` once per system; every
figure is a mean over files, with a 95 % bootstrap interval of the MIREX weighted score, the share
of each relation (correct, fifth, relative, parallel, other), the MIREX score per genre, and a
paired comparison of every system with the first one on the same files. Speed: :func:`speed.one_process` on the same files. Which part a file is in:
:func:`parts`. The default set is ``../shared/devset/labels.csv`` beside the repository.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import speed
import systems  # noqa: F401 - puts the repository root on sys.path
from accuracy import CATEGORIES
from tqdm import tqdm

from core.audio.decode import duration_s
from core.audio.index import read_labels
from core.evaluation.metrics import bootstrap_interval, paired_difference
from core.evaluation.scoring import evaluate_labels
from core.keys import Key
from core.paths import ROOT

DEFAULT_LABELS = ROOT.parent / "shared" / "devset" / "labels.csv"
GTZAN_GENRES = ("blues", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
POPULAR, OTHER = "popular genres", "other"


def part_of(path: str | Path) -> str:
    """"popular genres" for a file named after a GTZAN genre ("rock.00001.flac"), else "other"."""
    return POPULAR if Path(path).name.split(".", 1)[0] in GTZAN_GENRES else OTHER


def parts(labels_csv: str | Path) -> pd.DataFrame:
    """The labels of ``labels_csv`` (:func:`core.audio.index.read_labels`) with a ``part`` column:
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


def _scores(files: list[dict], chosen: list[Path]) -> dict:
    """The figures of one part (or all files) from per-file rows: counts, accuracy, MIREX weighted with its
    95 % bootstrap interval, and the share of each relation."""
    chosen = set(chosen)
    rows = [r for r in files if Path(r["file"]) in chosen]
    scores = [r["score"] for r in rows]
    low, high = bootstrap_interval(scores)
    n = max(len(rows), 1)
    return {"n": len(rows), "accuracy": sum(r["relation"] == "correct" for r in rows) / n,
            "mirex_weighted": sum(scores) / n, "mirex_low": low, "mirex_high": high,
            **{c: sum(r["relation"] == c for r in rows) / n for c in CATEGORIES}}


def genre_of(path: str | Path) -> str:
    """The genre a file's name starts with ("rock.00001.flac" -> "rock"), "" for other names."""
    name = Path(path).name.split(".", 1)[0]
    return name if name in GTZAN_GENRES else ""


def _paired(per_file: dict[str, dict[str, float]], reference: str, files: list[Path]) -> dict:
    """Every system against ``reference`` on the files both scored: :func:`core.evaluation.metrics.paired_difference`."""
    out = {}
    for name, scores in per_file.items():
        if name == reference:
            continue
        common = [str(f) for f in files if str(f) in scores and str(f) in per_file[reference]]
        out[name] = paired_difference([scores[f] for f in common], [per_file[reference][f] for f in common])
    return out


def run(names: list[str], labels_csv: Path, repeats: int, limit: int | None = None) -> dict:
    """``{"source", "parts": {part: files}, "systems": {label: {"overall" | part: scores}}, "genres":
    {label: {genre: MIREX}}, "paired": {"overall" | part: {label: difference against the first system}},
    "speed"}``."""
    labels = parts(labels_csv)
    with tempfile.TemporaryDirectory() as tmp:
        csvs = _part_csvs(labels, Path(tmp), limit)
        chosen = {part: [Path(p) for p in pd.read_csv(csv)["file"]] for part, csv in csvs.items()}
        files = [f for part_files in chosen.values() for f in part_files]
        minutes = sum(duration_s(f) for f in files) / 60
        scored, timed, genres, per_file = {}, {}, {}, {}
        for name in names:
            estimator = speed._estimator(name, files[0])  # loaded and warmed once, shared with the speed pass
            rows = []
            for part, csv in csvs.items():
                bar = lambda items: tqdm(items, desc=f"devset {name} on {part}", leave=False)  # noqa: E731
                rows += evaluate_labels(csv, estimator, bar)["files"]
            scored[estimator.name] = {"overall": _scores(rows, files),
                                      **{part: _scores(rows, part_files) for part, part_files in chosen.items()}}
            by_genre = {}
            for row in rows:
                by_genre.setdefault(genre_of(row["file"]), []).append(row["score"])
            genres[estimator.name] = {g: sum(v) / len(v) for g, v in sorted(by_genre.items()) if g}
            per_file[estimator.name] = {row["file"]: row["score"] for row in rows}
            timed[estimator.name] = speed.one_process(name, files, minutes, repeats)
    reference = next(iter(per_file))
    paired = {"overall": _paired(per_file, reference, files),
              **{part: _paired(per_file, reference, part_files) for part, part_files in chosen.items()}}
    return {"source": os.path.relpath(labels_csv, ROOT), "parts": {part: len(part_files) for part, part_files in chosen.items()},
            "systems": scored, "genres": genres, "reference": reference, "paired": paired,
            "speed": {"files": len(files), "audio_min": round(minutes, 2), "repeats": repeats, "one_process": timed}}
