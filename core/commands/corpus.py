"""``python -m core corpus``: render the bundled folk corpus (see data/README.md), or with ``--recipe``
a generated popular-music training corpus (:mod:`core.data.synth`)."""
from __future__ import annotations

import argparse
import sys

ANALYSES_AUDIO = True
HELP = ("Render a labelled corpus: folk tunes with published keys (the bundled corpus, default), or with --recipe "
        "generated popular-music arrangements for training")
RECIPE_SIZE = 2400


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.argtypes import at_least, non_negative_int, output_folder, scheduler_address
    from core.data.corpus import DEFAULT_SIZE
    from core.data.synth.build import RECIPES
    from core.keys import N_CLASSES
    from core.paths import CORPUS_DIR

    parser.add_argument("--recipe", choices=["folk", *RECIPES], default="folk",
                        help="folk: the bundled corpus of folk tunes (default); popular: arrangements of nine "
                             "styles; tunes: music21's folk tunes, produced; or one style")
    parser.add_argument("--out", type=output_folder,
                        help=f"output folder: new, empty or made by this command (default {CORPUS_DIR} for folk, "
                             ".cache/synth/RECIPE-sSEED otherwise)")
    parser.add_argument("--size", type=at_least(N_CLASSES),
                        help=f"number of clips, split evenly over the 24 classes (default {DEFAULT_SIZE} for folk, "
                             f"{RECIPE_SIZE} otherwise)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same seed and size, same corpus (default 0)")
    parser.add_argument("--jobs", type=non_negative_int, default=0,
                        help="worker processes for a recipe (default 0: all cores)")
    parser.add_argument("--scheduler", type=scheduler_address,
                        help="render a recipe on the Dask cluster at this address (tcp://host:8786)")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.data.corpus import DEFAULT_SIZE, build_corpus, check_out
    from core.paths import CORPUS_DIR

    if args.recipe != "folk":
        return _run_recipe(args)
    out, size = args.out or CORPUS_DIR, args.size or DEFAULT_SIZE
    try:
        check_out(out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with tqdm(total=size, unit="clip", desc="rendering") as bar:
        frame = build_corpus(out, size=size, seed=args.seed, progress=lambda done, total: bar.update(1))
    print(f"{len(frame)} clips of {frame['song_id'].nunique()} tunes in {out}")
    return 0


def _run_recipe(args: argparse.Namespace) -> int:
    """Render a generated corpus in parallel, resumable; train on it with --data synth:RECIPE-sSEED."""
    import os

    from tqdm import tqdm

    from core.data.synth.build import build, default_out
    from core.runtime.parallel import check_scheduler

    if args.scheduler:
        check_scheduler(args.scheduler)
    size = args.size or RECIPE_SIZE
    out = args.out or default_out(args.recipe, args.seed)
    with tqdm(total=size, unit="clip", desc=f"rendering {args.recipe}") as bar:
        try:
            labels = build(out, args.recipe, size, args.seed, jobs=args.jobs or os.cpu_count() or 1,
                           scheduler=args.scheduler, progress=lambda done, total: bar.update(done - bar.n))
        except (ValueError, RuntimeError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    print(f"{len(labels)} clips ({labels['style'].nunique()} styles) in {out}; train on them with "
          f"`python -m core train --preset eqkey --data synth:{args.recipe}-s{args.seed}`")
    return 0
