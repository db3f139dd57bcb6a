"""``python -m core corpus``: render the bundled folk corpus (see data/README.md), or with ``--recipe``
a generated popular-music training corpus (:mod:`core.synth`)."""
from __future__ import annotations

import argparse

HELP = ("Render a labelled corpus: folk tunes with published keys (the bundled corpus, default), or with --recipe "
        "generated popular-music arrangements for training")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.corpus import DEFAULT_SIZE
    from core.paths import CORPUS_DIR

    from core.synth.build import RECIPES

    parser.add_argument("--recipe", choices=["folk", *RECIPES], default="folk",
                        help="folk: the bundled corpus of folk tunes (default); popular: arrangements of all styles; "
                             "or one style")
    parser.add_argument("--out", help=f"output folder (default {CORPUS_DIR} for folk, "
                                      ".cache/synth/RECIPE-sSEED otherwise)")
    parser.add_argument("--size", type=int, help=f"number of clips, split evenly over the 24 classes "
                                                  f"(default {DEFAULT_SIZE} for folk, 2400 otherwise)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same seed and size, same corpus (default 0)")
    parser.add_argument("--jobs", type=int, default=0, help="worker processes for a recipe (default: all cores)")
    parser.add_argument("--scheduler", help="render on the Dask cluster at this address (tcp://host:8786)")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.corpus import DEFAULT_SIZE, build_corpus
    from core.paths import CORPUS_DIR

    if args.recipe != "folk":
        return _run_recipe(args)
    args.size = args.size or DEFAULT_SIZE
    args.out = args.out or str(CORPUS_DIR)
    if args.size < 24:
        print(f"error: --size must be at least 24 (one clip per class), got {args.size}")
        return 2
    with tqdm(total=args.size, unit="clip", desc="rendering") as bar:
        frame = build_corpus(args.out, size=args.size, seed=args.seed, progress=lambda done, total: bar.update(1))
    print(f"{len(frame)} clips of {frame['song_id'].nunique()} tunes in {args.out}")
    return 0


def _run_recipe(args: argparse.Namespace) -> int:
    """Render a generated corpus in parallel, resumable; the labels CSV trains with --data synth:RECIPE."""
    import os
    import sys

    from tqdm import tqdm

    from core.synth.build import build, default_out

    size = args.size or 2400
    out = args.out or str(default_out(args.recipe, args.seed))
    jobs = args.jobs or os.cpu_count() or 1
    with tqdm(total=size, unit="clip", desc=f"rendering {args.recipe}") as bar:
        try:
            labels = build(out, args.recipe, size, args.seed, jobs=jobs, scheduler=args.scheduler,
                           progress=lambda done, total: bar.update(done - bar.n))
        except (ValueError, RuntimeError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    print(f"{len(labels)} clips ({labels['style'].nunique()} styles) in {out}; train on them with "
          f"`python -m core train --preset eqkey --data synth:{args.recipe}-s{args.seed}`")
    return 0
