"""``python -m core msd PATH``: read an MSD copy and select tracks by key/mode confidence."""
from __future__ import annotations

import argparse

HELP = "read MSD metadata (summary file, subset folder, track file or seed CSV) and select by confidence"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.argtypes import output_file, unit_float

    parser.add_argument("path", help="msd_summary_file.h5, a subset folder (A/B/C/TR*.h5), a TR*.h5 file or a seed CSV")
    parser.add_argument("--min-key-confidence", type=unit_float, default=0.75, metavar="X",
                        help="keep tracks with key_confidence above X, strictly (default 0.75, as the seed)")
    parser.add_argument("--min-mode-confidence", type=unit_float, default=0.75, metavar="Y",
                        help="keep tracks with mode_confidence above Y, strictly (default 0.75, as the seed)")
    parser.add_argument("--out", type=output_file, metavar="FILE.csv", help="write the selection with the seed's columns")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from core.msd.catalog import Selection, select
    from core.msd.hdf5 import read_catalog, seed_selection

    with tqdm(desc="reading track files", unit="file", disable=None, leave=False) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        catalog = read_catalog(args.path, progress=progress)
    selected = select(catalog, Selection(args.min_key_confidence, args.min_mode_confidence))
    print(f"tracks: {len(catalog)}")
    print(f"selected (key_confidence > {args.min_key_confidence}, "
          f"mode_confidence > {args.min_mode_confidence}): {len(selected)}")
    if args.out:
        seed_selection(selected).to_csv(args.out)
        print(f"wrote {args.out}")
    return 0
