"""``python -m core evaluate LABELS.csv [--model NAME_OR_PATH] [--format table|json|csv]``."""
from __future__ import annotations

import argparse

ANALYSES_AUDIO = True
HELP = "Score a key estimator on a labels CSV (file,key): accuracy, MIREX weighted score and breakdown, time."

COLUMNS = ("file", "true_key", "predicted_key", "probability", "relation", "score", "skipped")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.argtypes import scheduler_address

    parser.add_argument("labels", metavar="LABELS.csv", help="CSV with columns file,key")
    parser.add_argument("--model", default="default",
                        help="'default', a run id or folder, a .keras file, 'template:krumhansl', ... (default: default)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table",
                        help="table (summary), json (summary, per-file rows and skipped files) or csv (per-file rows)")
    parser.add_argument("--scheduler", type=scheduler_address, metavar="ADDRESS",
                        help="predict on the Dask cluster at this address (tcp://host:8786); the files must be "
                             "readable on its workers")


def run(args: argparse.Namespace) -> int:
    import csv
    import json
    import sys

    from tqdm import tqdm

    from core.audio.decode import AudioError
    from core.audio.index import LabelsError
    from core.estimate.estimators import load_estimator
    from core.evaluation.scoring import evaluate_labels
    from core.runtime.parallel import ClusterError, check_scheduler

    try:
        estimator = load_estimator(args.model)
        if args.scheduler:
            check_scheduler(args.scheduler)
        result = evaluate_labels(args.labels, estimator, scheduler=args.scheduler,
                                 progress=lambda files: tqdm(files, unit="file", desc="evaluating", file=sys.stderr))
    except (AudioError, LabelsError, ValueError, FileNotFoundError, ClusterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(result, indent=2))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(result["files"])
        writer.writerows({"file": s["file"], "skipped": s["reason"]} for s in result["skipped"])
    else:
        print_table(result)
    return 0


def print_table(result: dict) -> None:
    print(f"model            {result['model']}")
    print(f"files            {result['n']} scored, {len(result['skipped'])} skipped")
    print(f"accuracy         {result['accuracy']:.3f}")
    low, high = result["mirex_interval"]
    print(f"MIREX weighted   {result['mirex_weighted']:.3f}  (95% bootstrap interval {low:.3f}-{high:.3f})")
    for name, fraction in result["mirex_fractions"].items():
        print(f"  {name:<14} {fraction:.3f}")
    print(f"macro F1         {result['fbeta_macro']:.3f}")
    print(f"time             {result['seconds']:.2f} s")
    for skipped in result["skipped"]:
        print(f"skipped          {skipped['reason']}")
