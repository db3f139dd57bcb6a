"""Library scan throughput (not a test): files and minutes of audio per second of wall time.

``python -m core library scan`` as a user runs it (:func:`core.library.scan.scan`, a fresh database each
time, model loading included) over one folder: 1 joblib worker, 2 workers, and a local Dask cluster of
2 worker processes (``--scheduler``); beside it Essentia's ``KeyExtractor`` over the same files through
:func:`core.estimate.song.predict_song` (where ``import essentia`` works). A second 1-worker scan of the
unchanged folder shows what a rerun costs. The process runs niced; the load average before and after is
recorded, since a shared machine slows every figure. Prints a table and writes ``bench/out/library_scan.json``.

    python bench/library_scan.py                       # ../shared/devset if present, else the bundled corpus
    python bench/library_scan.py --folder ~/Music --limit 0
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.paths import DEFAULT_AUDIO_DIR, ROOT  # noqa: E402

OUT = ROOT / "bench" / "out"
DEVSET = ROOT.parent / "shared" / "devset"


def sample(folder: Path, limit: int, into: Path) -> Path:
    """``limit`` audio files of ``folder`` (every n-th, all for 0) linked into a fresh folder ``into``."""
    from core.audio.decode import AUDIO_SUFFIXES
    from core.audio.walk import find_files

    files = find_files(folder, AUDIO_SUFFIXES, max_entries=10**7, max_seconds=600)
    if limit:
        files = files[:: max(1, len(files) // limit)][:limit]
    for i, f in enumerate(files):
        os.symlink(f.resolve(), into / f"{i:04d}-{f.name}")
    return into


def timed_scan(folder: Path, work: Path, **options) -> dict:
    from core.library.scan import scan

    db_path = work / f"lib-{time.monotonic_ns()}.sqlite"
    start = time.perf_counter()
    summary = scan(folder, db_path, **options)
    wall = time.perf_counter() - start
    again = time.perf_counter()
    rerun = scan(folder, db_path, **{k: v for k, v in options.items() if k != "scheduler"})
    return {"wall_s": round(wall, 2), "files": summary.files, "errors": summary.errors,
            "audio_min": round(summary.audio_s / 60, 2), "files_per_s": round(summary.files / wall, 3),
            "audio_min_per_s": round(summary.audio_s / 60 / wall, 3),
            "rerun_s": round(time.perf_counter() - again, 2), "rerun_analysed": rerun.analysed}


def essentia_pass(folder: Path) -> dict:
    from core.audio.decode import AUDIO_SUFFIXES, AudioError
    from core.audio.walk import find_files
    from core.estimate.estimators import essentia_available, load_estimator
    from core.estimate.song import predict_song

    if not essentia_available():
        return {"skipped": "import essentia failed"}
    start = time.perf_counter()
    estimator = load_estimator("essentia")
    files, audio_s, errors = find_files(folder, AUDIO_SUFFIXES), 0.0, 0
    for f in files:
        try:
            audio_s += predict_song(f, estimator).duration_s
        except AudioError:
            errors += 1
    wall = time.perf_counter() - start
    return {"wall_s": round(wall, 2), "files": len(files), "errors": errors, "audio_min": round(audio_s / 60, 2),
            "files_per_s": round(len(files) / wall, 3), "audio_min_per_s": round(audio_s / 60 / wall, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DEVSET if DEVSET.is_dir() else DEFAULT_AUDIO_DIR)
    parser.add_argument("--limit", type=int, default=24, help="files taken from the folder (0: all)")
    parser.add_argument("--model", default="default")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    os.nice(10)
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="library-bench-"))
    try:
        music = work / "music"
        music.mkdir()
        folder = sample(args.folder, args.limit, music)
        result = {"folder": str(args.folder), "limit": args.limit, "model": args.model,
                  "cpus": os.cpu_count(), "load_before": os.getloadavg()[0], "runs": {}}
        for jobs in (1, 2):
            name = f"joblib, {jobs} job{'s' * (jobs > 1)}"
            result["runs"][name] = timed_scan(folder, work, model=args.model, jobs=jobs)
        if not args.no_dask:
            from distributed import LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                result["runs"]["Dask LocalCluster, 2 workers"] = timed_scan(folder, work, model=args.model,
                                                                           scheduler=cluster.scheduler_address)
        result["runs"]["Essentia KeyExtractor (1 process)"] = essentia_pass(folder)
        result["load_after"] = os.getloadavg()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (OUT / "library_scan.json").write_text(json.dumps(result, indent=2))
    print(f"{result['runs']['joblib, 1 job']['files']} files from {args.folder} on {os.cpu_count()} CPUs; load "
          f"average {result['load_before']:.1f} before, {result['load_after']:.1f} after (a shared machine)")
    print(f"{'run':<36} {'wall s':>7} {'files/s':>8} {'audio min/s':>12} {'rerun s':>8}")
    for name, r in result["runs"].items():
        if "skipped" in r:
            print(f"{name:<36} skipped: {r['skipped']}")
        else:
            print(f"{name:<36} {r['wall_s']:>7} {r['files_per_s']:>8} {r['audio_min_per_s']:>12} "
                  f"{r.get('rerun_s', ''):>8}")
    print(f"written to {OUT / 'library_scan.json'}")


if __name__ == "__main__":
    main()
