"""Run every Keyscope benchmark and write bench/results.json and bench/results.md.

    python bench/run_all.py [--labels FILE.csv] [--devset FILE.csv] [--repeats 3] [--scale-rows 1000000]
                            [--skip-scale] [--quick] [--only SECTION ...]

Sections: accuracy (bench/accuracy.py), speed and training (bench/speed.py), scale
(bench/msd_scale.py, run as a subprocess), devset (bench/devset.py). ``--only`` runs some
sections and replaces just those in the existing results. See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import accuracy
import devset
import speed
import systems
from accuracy import CATEGORIES
from msd_scale import OUT, machine

BENCH = Path(__file__).resolve().parent
SECTIONS = ("scale", "training", "speed", "accuracy", "devset")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, metavar="FILE.csv",
                        help="also score every system on this file,key labels CSV")
    parser.add_argument("--devset", type=Path, default=devset.DEFAULT_LABELS, metavar="FILE.csv",
                        help="labels CSV of the devset section, scored by part (default ../shared/devset/labels.csv)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, metavar="SECTION",
                        help=f"run only these sections ({', '.join(SECTIONS)}) and replace them in the existing results")
    parser.add_argument("--systems", nargs="+", metavar="NAME",
                        help="benchmark only these estimators (default: every shipped model, template and Essentia)")
    parser.add_argument("--repeats", type=int, default=3, help="timings are the median of this many runs")
    parser.add_argument("--files", type=int, default=48, help="corpus clips timed by the speed benchmark")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of each training-throughput run")
    parser.add_argument("--scale-rows", type=int, default=1_000_000, help="rows of the MSD scale benchmark")
    parser.add_argument("--skip-scale", action="store_true", help="leave out the MSD scale benchmark")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 12 test clips, 6 speed clips, 2 dev-set files a part, 1 repeat, 2 epochs, "
                             "20,000 scale rows; "
                             "writes bench/out/results-quick.* instead of bench/results.*")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.files, args.epochs, args.scale_rows = 1, 6, 2, min(args.scale_rows, 20_000)
    return args


def git_state() -> dict:
    """The commit benchmarked, and any uncommitted changes to the code or models it measures."""
    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=BENCH.parent, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted": git("status", "--porcelain", "core", "models", "bench").splitlines()}


def scale(rows: int, repeats: int) -> dict:
    subprocess.run([sys.executable, str(BENCH / "msd_scale.py"), "--rows", str(rows), "--repeats", str(repeats)],
                   check=True, stdout=subprocess.DEVNULL)
    result = json.loads((OUT / "msd_scale.json").read_text())
    result.pop("machine", None)
    return result


# -- markdown ------------------------------------------------------------------
def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def _rate(figure: dict) -> str:
    return f"{figure['s_per_min']:.2f}"


def _one_process_table(one_process: dict) -> str:
    return table(["system", "decode", "features", "predict", "total", "file to key", "× real time"],
                 [[name, *(_rate(f[s]) for s in (*speed.STAGES, "total")),
                   _rate(f["file_to_key"]) if "file_to_key" in f else "", f"{f['total']['x_realtime']:.0f}"]
                  for name, f in one_process.items()])


def devset_markdown(section: dict | str) -> str:
    if isinstance(section, str):
        return f"### Dev set\n\n{section}."
    part_names = list(section["parts"])
    counts = ", ".join(f"{n} {part}" for part, n in section["parts"].items())
    sp = section["speed"]
    scored = section["systems"]

    def mirex(s: dict) -> str:
        interval = f" [{s['mirex_low']:.2f}, {s['mirex_high']:.2f}]" if "mirex_low" in s else ""
        return f"{s['mirex_weighted']:.3f}{interval} / {s['accuracy']:.3f}"

    blocks = [
        f"### Dev set: `{section['source']}` ({sum(section['parts'].values())} recordings: {counts})",
        f"`{section['command']}` at commit {section['commit']} on {section['date']}, "
        f"{section['seconds'] / 60:.1f} min (load average {section['loadavg'][0]:.1f} at the start, "
        f"{section['loadavg'][1]:.1f} at the end). Parts: a CSV's `part` column, else `{devset.POPULAR}` = "
        f"files named after a GTZAN genre (`rock.00001.flac`) and `{devset.OTHER}` = the rest (on "
        "`../shared/devset`, the Bach violin and piano recordings). MIREX weighted [95 % bootstrap interval] / "
        "accuracy:",
        table(["system", "overall", *part_names],
              [[name, *(mirex(s[p]) for p in ("overall", *part_names))] for name, s in scored.items()])]
    if "paired" in section:
        blocks += [f"Paired against `{section['reference']}` on the same files: mean MIREX difference "
                   "[95 % paired bootstrap interval], files better / worse / same:",
                   table(["system", "overall", *part_names],
                         [[name, *(_paired_cell(section["paired"][p][name]) for p in ("overall", *part_names))]
                          for name in scored if name != section["reference"]])]
    if all("parallel" in s["overall"] for s in scored.values()):
        blocks += ["Share of files by relation of the answer to the published key (all files):",
                   table(["system", *CATEGORIES], [[name, *(f"{s['overall'][c]:.3f}" for c in CATEGORIES)]
                                                   for name, s in scored.items()])]
    if section.get("genres"):
        genres = sorted({g for by_genre in section["genres"].values() for g in by_genre})
        blocks += ["MIREX weighted by genre (popular part, about 3 files each):",
                   table(["system", *genres], [[name, *(f"{section['genres'][name].get(g, 0):.2f}" for g in genres)]
                                               for name in scored])]
    return "\n\n".join(blocks + [
        f"Speed on the same {sp['files']} files ({sp['audio_min']} min of audio), seconds of compute per minute "
        f"of audio, one process, median of {sp['repeats']}:",
        _one_process_table(sp["one_process"])])


def _paired_cell(p: dict) -> str:
    return f"{p['difference']:+.3f} [{p['low']:+.2f}, {p['high']:+.2f}], {p['better']}/{p['worse']}/{p['same']}"


def markdown(results: dict) -> str:
    m, options = results["machine"], results["options"]
    parts = [f"Keyscope benchmarks: `{results['command']}` at commit {results['git']['commit']} on {m['date']}, "
             f"{m['cpu']} ({m['cores']} cores), "
             f"Python {m['python']}; timings are medians of {options['repeats']} repeats"
             + (f"; the whole run took {results['total_s'] / 60:.1f} min (load average "
                f"{results['loadavg_start'][0]:.1f} at the start, {results['loadavg_end'][0]:.1f} at the end)."
                if "total_s" in results else ".")]
    for set_name, scored in results.get("accuracy", {}).items():
        n = next(iter(scored["systems"].values()))["n"]
        parts.append(f"### Accuracy: {set_name} ({n} clips)\n\n" + table(
            ["system", "accuracy", "MIREX weighted", *accuracy.CATEGORIES],
            [[name, *(f"{s[k]:.3f}" for k in ("accuracy", "mirex_weighted", *accuracy.CATEGORIES))]
             for name, s in scored["systems"].items()]))
    parts.append(f"Essentia: {results['essentia']}.")
    if "devset" in results:
        parts.append(devset_markdown(results["devset"]))
    if "speed" in results:
        sp = results["speed"]
        parts.append(f"### Speed: seconds of compute per minute of audio\n\n{sp['clips']} corpus clips "
                     f"({sp['audio_min']} min of audio). One process:\n\n" + _one_process_table(sp["one_process"]))
        parts.append(f"{sp['n_jobs']} worker processes (joblib, one clip per task; stages: in-worker time / "
                     f"{sp['n_jobs']}, wall: measured):\n\n" + table(
                         ["system", "decode", "features", "predict", "wall", "× real time", "speed-up"],
                         [[name, *(_rate(f[s]) for s in (*speed.STAGES, "wall")), f"{f['wall']['x_realtime']:.0f}",
                           f"{sp['one_process'][name]['total']['s_per_min'] / f['wall']['s_per_min']:.2f}"]
                          for name, f in sp["all_cores"].items()]))
    t = results.get("training")
    if isinstance(t, dict):
        parts.append(f"### Training: keynet on the corpus, {t['epochs']} epochs, batch {t['batch_size']}\n\n" + table(
            ["train examples", "s / epoch (after the first)", "examples/s", "examples/s incl. setup", "first epoch s"],
            [[t["train_examples"], f"{t['epoch_s']:.2f}", f"{t['examples_per_s']:.0f}",
              f"{t['examples_per_s_overall']:.0f}", f"{t['first_epoch_s']:.1f}"]]))
    elif t is not None:
        parts.append(f"### Training\n\n{t}")
    if "memory" in results:
        parts.append("### Peak memory (RSS, MB)\n\n" + table(
            ["process", "MB"], [[name, f"{mb:.0f}"] for name, mb in results["memory"].items()]))
    if isinstance(results.get("scale"), dict):
        s = results["scale"]
        parts.append("### Scale: MSD summary file\n\n" + table(
            ["rows", "file MB", "first load s", "later load s", "msd command s", "filter change s",
             "text filter s", "catalog MB", "peak RSS MB"],
            [[f"{s['rows']:,}", *(s.get(k, "not measured") for k in (  # older results hold load_s only
                "file_mb", "first_load_s", "cached_load_s", "cli_cached_s", "filter_change_s", "text_filter_s",
                "catalog_memory_mb", "peak_rss_mb"))]]))
    elif "scale" in results:
        parts.append(f"Scale: {results['scale']}.")
    return "\n\n".join(parts) + "\n"


def run_devset(args: argparse.Namespace, names: list[str]) -> dict | str:
    """The devset section with its own command, commit, date and duration, or why it was skipped."""
    if not args.devset.is_file():
        message = f"skipped: {args.devset} not found (give a labels CSV with --devset)"
        print(f"devset {message}")
        return message
    start, loadavg = time.perf_counter(), os.getloadavg()
    section = devset.run(names, args.devset, args.repeats, limit=2 if args.quick else None)
    return {**section, "command": " ".join(["python bench/run_all.py", *sys.argv[1:]]),
            "commit": git_state()["commit"], "date": machine()["date"],
            "seconds": round(time.perf_counter() - start, 1), "loadavg": [loadavg[0], os.getloadavg()[0]]}


def main() -> dict:
    args = parse_args()
    start = time.perf_counter()
    names = args.systems or systems.names()
    out = OUT if args.quick else BENCH
    stem = "results-quick" if args.quick else "results"
    sections = set(args.only or SECTIONS)
    results = {"command": " ".join(["python bench/run_all.py", *sys.argv[1:]]), "machine": machine(),
               "git": git_state(),
               "versions": {p: version(p) for p in ("tensorflow", "keras", "librosa", "numpy", "joblib")},
               "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
               "systems": names, "essentia": systems.essentia_status(), "loadavg_start": os.getloadavg()}
    if args.only and (out / f"{stem}.json").is_file():  # keep the other sections and the full run's header
        results = json.loads((out / f"{stem}.json").read_text())
    # Child processes first: on Linux a child's ru_maxrss starts from its parent's RSS at fork.
    main_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if "scale" in sections:
        results["scale"] = "skipped (--skip-scale)" if args.skip_scale else scale(args.scale_rows, args.repeats)
    if "training" in sections:
        results["training"] = speed.training(args.repeats, args.epochs)
    if "speed" in sections:
        results["speed"] = speed.run(names, speed.clips(args.files), args.repeats)
    if "accuracy" in sections:
        results["accuracy"] = accuracy.run(names, args.labels, limit=12 if args.quick else None)
    if "devset" in sections:
        results["devset"] = run_devset(args, names)
    if not args.only:
        trained, scaled = results["training"], results["scale"]
        results["memory"] = {
            "main process (speed, accuracy, devset)": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "largest joblib worker": results["speed"]["workers_peak_rss_mb"],
            **({"training process": trained["peak_rss_mb"]} if isinstance(trained, dict) else {}),
            **({"scale process": scaled["peak_rss_mb"]} if isinstance(scaled, dict) else {}),
            "all child processes (RUSAGE_CHILDREN)": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "main process when the children started (their floor)": main_before_mb,
        }
        results["loadavg_end"] = os.getloadavg()
        results["total_s"] = round(time.perf_counter() - start, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2))
    text = markdown(results)
    (out / f"{stem}.md").write_text(text)
    print(text)
    print(f"wrote {out / stem}.json and {out / stem}.md")
    return results


if __name__ == "__main__":
    main()
