"""``python -m core pool``: gather real unlabelled recordings, cut excerpts, and pseudo-label them where
independent estimators agree (:mod:`core.data.realpool`). Each step resumes where a killed run stopped."""
from __future__ import annotations

import argparse
import sys

ANALYSES_AUDIO = True
HELP = ("Real recordings for self-training: gather Debian's free game soundtracks (and your folders), cut "
        "excerpts, label those whose key several estimators agree on")
STEPS = ("gather", "excerpts", "vote", "label", "all")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.argtypes import at_least, non_negative_int

    parser.add_argument("step", choices=STEPS,
                        help="gather: audio out of Debian packages (apt-get download) and --folder; excerpts: cut "
                             "them; vote: every estimator's key per excerpt; label: keep the agreed ones; all: "
                             "the four in turn")
    parser.add_argument("--pool", help="the pool folder (default .cache/realpool)")
    parser.add_argument("--package", action="append", dest="packages",
                        help="a Debian package of free music to gather (repeatable; default: nine game "
                             "soundtracks, see core/data/realpool.py)")
    parser.add_argument("--folder", action="append", default=[], help="a folder of your own audio to add (repeatable)")
    parser.add_argument("--per-track", type=at_least(1), default=4, help="excerpts per recording (default 4)")
    parser.add_argument("--min-votes", type=at_least(2), default=3,
                        help="voters that must name the same key for an excerpt to be labelled (default 3)")
    parser.add_argument("--jobs", type=non_negative_int, default=0, help="worker processes (default 0: all cores)")


def run(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from tqdm import tqdm

    from core.data import realpool

    pool = Path(args.pool) if args.pool else realpool.default_pool()
    jobs = args.jobs or os.cpu_count() or 1
    steps = STEPS[:-1] if args.step == "all" else (args.step,)

    def bar(desc: str, unit: str):
        progress = tqdm(desc=desc, unit=unit, disable=None)

        def update(done: int, total: int) -> None:
            progress.total = total
            progress.update(done - progress.n)
        return progress, update

    try:
        for step in steps:
            progress, update = bar(step, {"gather": "package", "excerpts": "track"}.get(step, "excerpt"))
            with progress:
                if step == "gather":
                    tracks = realpool.gather(pool, args.packages or realpool.PACKAGES, args.folder, update)
                    message = f"{len(tracks)} recordings from {tracks['source'].nunique()} sources"
                elif step == "excerpts":
                    excerpts = realpool.cut_excerpts(pool, args.per_track, jobs, update)
                    message = f"{len(excerpts)} excerpts of {realpool.EXCERPT_S:g} s"
                elif step == "vote":
                    votes = realpool.vote(pool, jobs=jobs, progress=update)
                    message = f"{votes['file'].nunique()} excerpts voted on by {votes['estimator'].nunique()} estimators"
                else:
                    labels = realpool.write_labels(pool, args.min_votes)
                    message = (f"{len(labels)} excerpts labelled (at least {args.min_votes} votes agree); train with "
                               f"--data labels:{pool / 'labels.csv'}")
            print(f"{step}: {message}")
    except realpool.PoolError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
