"""``python -m core predict FILE...``: key of each song, as a table, JSON or CSV."""
from __future__ import annotations

import argparse

ANALYSES_AUDIO = True
HELP = ("Predict the musical key of audio files (wav, mp3, flac, ogg, aiff) or of every one in folders, with the "
        "shipped CNN or any estimator.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files, or folders (searched recursively)")
    parser.add_argument("--model", default="default",
                        help="estimator: 'default' (shipped CNN), a run id or folder, a .keras file, "
                             "or a baseline such as 'template:krumhansl' (default: default)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")


def run(args: argparse.Namespace) -> int:
    import csv
    import json
    import sys

    from tqdm import tqdm

    from core.audio.decode import FORMATS, AudioError
    from core.estimate.estimators import load_estimator
    from core.estimate.song import csv_rows, expand_folders, predict_song

    try:
        estimator = load_estimator(args.model)
    except Exception as err:  # noqa: BLE001 - any failure to load is one message
        print(f"error: cannot load model {args.model!r}: {err}", file=sys.stderr)
        return 2
    files = expand_folders(args.files)
    if not files:
        print(f"error: no audio files ({', '.join(FORMATS)}) in {', '.join(args.files)}", file=sys.stderr)
        return 2
    results, failed = [], 0
    for path in tqdm(files, unit="file", desc="predicting", file=sys.stderr):
        try:
            results.append(predict_song(path, estimator).to_dict())
        except AudioError as err:
            failed += 1
            results.append({"file": path, "error": str(err)})
    if args.format == "json":
        for result in results:
            print(json.dumps(result))
    elif args.format == "csv":
        rows = csv_rows(results)
        columns = list(dict.fromkeys(c for row in rows for c in row))
        writer = csv.DictWriter(sys.stdout, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    else:
        for r in results:
            if "error" in r:
                print(f"{r['file']}: ERROR {r['error']}")
            else:
                change = f"; key change {r['key_change']['text']}" if r["key_change"] else ""
                print(f"{r['file']}: {r['key']} ({r['camelot']} / {r['open_key']}, confidence {r['confidence']:.2f}; "
                      f"then {', '.join(t['key'] for t in r['top3'][1:])}; mixes with "
                      f"{', '.join(c['camelot'] for c in r['compatible'])}{change})"
                      f"{'  [' + r['note'] + ']' if r['note'] else ''}")
    return 1 if failed else 0
