"""``python -m core corpus``: render the bundled labelled corpus (see data/README.md)."""
from __future__ import annotations

import argparse

HELP = "Render folk tunes with published keys to audio: the labelled corpus in the MSD/seed layout."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.corpus import DEFAULT_SIZE
    from core.paths import CORPUS_DIR

    parser.add_argument("--out", default=str(CORPUS_DIR), help=f"output folder (default {CORPUS_DIR})")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE,
                        help=f"number of clips, split evenly over the 24 classes (default {DEFAULT_SIZE})")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same seed and size, same corpus (default 0)")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.corpus import build_corpus

    if args.size < 24:
        print(f"error: --size must be at least 24 (one clip per class), got {args.size}")
        return 2
    with tqdm(total=args.size, unit="clip", desc="rendering") as bar:
        frame = build_corpus(args.out, size=args.size, seed=args.seed, progress=lambda done, total: bar.update(1))
    print(f"{len(frame)} clips of {frame['song_id'].nunique()} tunes in {args.out}")
    return 0
