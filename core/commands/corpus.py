"""``python -m core corpus``: render the bundled labelled corpus (see data/README.md)."""
from __future__ import annotations

import argparse
import sys

HELP = "Render folk tunes with published keys to audio: the labelled corpus in the MSD/seed layout."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.argtypes import at_least, output_folder
    from core.corpus import DEFAULT_SIZE
    from core.keys import N_CLASSES
    from core.paths import CORPUS_DIR

    parser.add_argument("--out", type=output_folder, default=CORPUS_DIR,
                        help=f"output folder: new, empty or made by this command (default {CORPUS_DIR})")
    parser.add_argument("--size", type=at_least(N_CLASSES), default=DEFAULT_SIZE,
                        help=f"number of clips, split evenly over the 24 classes (default {DEFAULT_SIZE})")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same seed and size, same corpus (default 0)")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.corpus import build_corpus, check_out

    try:
        check_out(args.out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with tqdm(total=args.size, unit="clip", desc="rendering") as bar:
        frame = build_corpus(args.out, size=args.size, seed=args.seed, progress=lambda done, total: bar.update(1))
    print(f"{len(frame)} clips of {frame['song_id'].nunique()} tunes in {args.out}")
    return 0
