"""Whole-process time and peak memory of "what key is this one file in?" from the command line.

Measures, with ``/usr/bin/time -v`` (``apt-get install time``), each the median of ``--repeats`` runs on
the same 30 s clip (bundled corpus clips joined end to end, ``bench/out/song-00.flac``):

- ``keyscope predict FILE`` (the installed command, from ``bench/out/venv``, run in another folder),
- ``python -m core predict FILE`` in the checkout,
- Essentia's ``KeyExtractor`` in a Python one-liner (where ``import essentia`` works; else it says so).

Prints a table and writes ``bench/out/predict_cli.json``.

    python bench/predict_cli.py [--repeats 3] [--seconds 30]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

from installed import ROOT, clean_env, installed_venv
from load import songs
from msd_scale import machine

OUT = ROOT / "bench" / "out" / "predict_cli.json"
ESSENTIA = ("import sys, essentia.standard as es; "
            "print(es.KeyExtractor()(es.MonoLoader(filename=sys.argv[1])()))")


def measure(argv: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, last line of stdout) of one whole process under /usr/bin/time -v."""
    done = subprocess.run(["/usr/bin/time", "-v", *argv], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr[-500:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    rss_kb = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return hours * 3600 + minutes * 60 + seconds, rss_kb / 1024, done.stdout.strip().splitlines()[-1]


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    if not Path("/usr/bin/time").exists():
        sys.exit("error: /usr/bin/time is missing; install it with `apt-get install time`")
    song = songs(1, args.seconds, ROOT / "bench" / "out")[0]
    venv = installed_venv()
    elsewhere = venv  # a folder without the checkout in it
    commands = {"keyscope predict": ([str(venv / "bin" / "keyscope"), "predict", str(song)], elsewhere, clean_env()),
                "python -m core predict": ([sys.executable, "-m", "core", "predict", str(song)], ROOT, None)}
    try:
        import essentia  # noqa: F401
        commands["essentia KeyExtractor one-liner"] = ([sys.executable, "-c", ESSENTIA, str(song)], elsewhere, None)
    except ImportError:
        commands["essentia KeyExtractor one-liner"] = None
    results = {}
    for name, command in commands.items():
        if command is None:
            results[name] = "skipped: essentia not installed (pip install essentia)"
            continue
        runs = [measure(*command) for _ in range(args.repeats)]
        results[name] = {"wall_s": round(statistics.median(r[0] for r in runs), 2),
                         "peak_rss_mb": round(statistics.median(r[1] for r in runs)),
                         "answer": runs[-1][2].replace(str(song), Path(song).name)}
    report = {"file": f"{Path(song).name} ({args.seconds:g} s)", "repeats": args.repeats, "machine": machine(),
              "load_average": os.getloadavg(), "results": results}
    OUT.write_text(json.dumps(report, indent=2))
    print(f"{report['file']}, median of {args.repeats}, load average {report['load_average'][0]:.2f} "
          f"on {report['machine']['cores']} cores")
    print(f"| command | wall s | peak RSS MB | answer |\n|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r} |" if isinstance(r, str) else f"| `{name}` | {r['wall_s']} | {r['peak_rss_mb']} | {r['answer']} |")
    print(f"wrote {OUT}")
    return report


if __name__ == "__main__":
    main()
