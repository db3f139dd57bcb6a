"""Scale benchmark: a one-million-row MSD summary file, loaded and filtered.

Generates ``bench/out/msd_summary_<rows>.h5`` in the MSD layout (once; reused
after), then times, each the median of several runs: the first load (the HDF5
file read and its columnar copy written, from an empty cache), a later load of
the unchanged file (from the copy), the whole ``python -m core msd`` command on
a later load, and a filter change. Prints the figures beside the load time
recorded before (bench/results.json) and writes ``bench/out/msd_scale.json``.

    python bench/msd_scale.py [--rows 1000000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import paths  # noqa: E402
from core.msd import hdf5
from core.msd.catalog import Selection, select, summarize  # noqa: E402
from core.msd.frame_cache import cache_file  # noqa: E402
from tests.conftest import make_catalog_frame  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
RECORDED = Path(__file__).resolve().parent / "results.json"  # the last bench/run_all.py results


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d")}


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"msd_summary_{args.rows}.h5"
    generate_s = None
    if not path.exists():
        start = time.perf_counter()
        hdf5.write_summary(path, make_catalog_frame(args.rows, seed=0))
        generate_s = time.perf_counter() - start
    paths.CACHE_DIR = OUT / "cache"
    copy = cache_file(path, "catalogs")

    def first_load():
        copy.unlink(missing_ok=True)
        return hdf5.read_catalog(path)

    first_load_s, _ = timed(first_load, args.repeats)
    cached_load_s, catalog = timed(lambda: hdf5.read_catalog(path), args.repeats)
    command = [sys.executable, "-m", "core", "msd", str(path)]
    cli_s, _ = timed(lambda: subprocess.run(command, check=True, capture_output=True,
                                            env=dict(os.environ, KEYSCOPE_CACHE=str(paths.CACHE_DIR))), args.repeats)
    moves = [Selection(c, c) for c in (0.75, 0.5, 0.9)]
    filter_s, _ = timed(lambda: [summarize(catalog, s) for s in moves], args.repeats)  # what a slider move costs the page
    text_s, _ = timed(lambda: select(catalog, Selection(0.5, 0.5, text="artist 3")), args.repeats)
    results = {
        "rows": len(catalog),
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "generate_s": None if generate_s is None else round(generate_s, 2),
        "first_load_s": round(first_load_s, 3),
        "cached_load_s": round(cached_load_s, 3),
        "cache_mb": round(copy.stat().st_size / 1e6, 1),
        "cli_cached_s": round(cli_s, 2),
        "filter_change_s": round(filter_s / len(moves), 4),
        "text_filter_s": round(text_s, 4),
        "catalog_memory_mb": round(catalog.memory_usage(deep=True).sum() / 1e6, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "repeats": args.repeats,
        "machine": machine(),
    }
    (OUT / "msd_scale.json").write_text(json.dumps(results, indent=2))
    for name, value in results.items():
        print(f"{name:>18}: {value}")
    before = json.loads(RECORDED.read_text()).get("scale", {}) if RECORDED.exists() else {}
    if isinstance(before, dict) and {"first_load_s", "load_s"} & set(before):  # older results hold load_s only
        print(f"recorded before ({RECORDED.name}, {before['rows']:,} rows): first load "
              f"{before.get('first_load_s', before.get('load_s'))} s, later load {before.get('cached_load_s', '-')} s")
    return results


if __name__ == "__main__":
    main()
