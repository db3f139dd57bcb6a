"""Rendering throughput of a generated corpus: ``--jobs 1``, ``--jobs 2`` and a local Dask cluster of 1 and 2
workers (``dask scheduler`` + ``dask worker`` processes running the Keyscope installed in ``bench/out/venv``,
started in another folder, without the checkout on their path).

Each setting renders ``--size`` clips of ``--recipe`` into a fresh folder with ``python -m core corpus``, niced
(``nice -n 10``: the machine is shared); the time is the whole command's wall time, cluster start-up excluded.
Prints a table and writes ``bench/out/cluster_render.json``.

    python bench/cluster_render.py [--recipe rock] [--size 24]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from installed import ROOT, dask_cluster, installed_venv
from msd_scale import machine

OUT = ROOT / "bench" / "out" / "cluster_render.json"
WORK = ROOT / "bench" / "out" / "cluster_render"


def render(recipe: str, size: int, out: Path, *options: str) -> float:
    """Wall seconds of one niced ``python -m core corpus`` run into the fresh folder ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(["nice", "-n", "10", sys.executable, "-m", "core", "corpus", "--recipe", recipe, "--size", str(size),
                    "--out", str(out), *options], cwd=ROOT, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    assert len(list(out.rglob("*.ogg"))) == size, f"{out}: not {size} clips"
    return seconds


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="rock")
    parser.add_argument("--size", type=int, default=24)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    venv = installed_venv()
    seconds = {}
    for jobs in (1, 2):
        seconds[f"--jobs {jobs}"] = render(args.recipe, args.size, WORK / f"jobs{jobs}", "--jobs", str(jobs))
    for workers in (1, 2):
        with dask_cluster(venv / "bin" / "python", workers, WORK, nice=10) as address:
            seconds[f"Dask, {workers} worker{'s' * (workers > 1)}"] = render(
                args.recipe, args.size, WORK / f"dask{workers}", "--scheduler", address)
    results = {name: {"seconds": round(s, 1), "clips_per_s": round(args.size / s, 2)} for name, s in seconds.items()}
    report = {"recipe": args.recipe, "clips": args.size, "machine": machine(), "load_average": os.getloadavg(),
              "note": "2 cores shared with other work; every process niced 10", "results": results}
    OUT.write_text(json.dumps(report, indent=2))
    print(f"{args.size} {args.recipe} clips, {report['machine']['cores']} cores (shared), "
          f"load average {report['load_average'][0]:.2f}")
    print("| setting | seconds | clips/s |\n|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['seconds']} | {r['clips_per_s']} |")
    print(f"wrote {OUT}")
    return report


if __name__ == "__main__":
    main()
