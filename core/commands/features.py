"""``python -m core features``: extract features of a labels CSV or an audio folder into a store."""
from __future__ import annotations

import argparse
import sys

ANALYSES_AUDIO = True
HELP = "Extract features (stft162, logspec, chroma) of audio into the HDF5 feature store."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.argtypes import non_negative_float, output_folder, positive_float, positive_int, scheduler_address
    from core.audio.features import KINDS, FeatureSettings

    default = FeatureSettings()
    parser.add_argument("source", help="labels CSV (file,key) or audio folder (seed <key>-<mode>/ or flat)")
    parser.add_argument("--store", type=output_folder, required=True, help="feature store folder")
    parser.add_argument("--kind", choices=KINDS, default=default.kind, help=f"feature kind (default {default.kind})")
    parser.add_argument("--duration", type=positive_float, default=default.duration, help="excerpt seconds (default %(default)s)")
    parser.add_argument("--offset", type=non_negative_float, default=default.offset, help="excerpt start seconds (default %(default)s)")
    parser.add_argument("--jobs", type=positive_int, default=1, help="worker processes (default 1)")
    parser.add_argument("--scheduler", type=scheduler_address, default=None, metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://host:8786")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from core.audio.features import FeatureSettings
    from core.audio.index import LabelsError, read_labels, scan_folder
    from core.audio.store import FeatureStore
    from core.runtime.parallel import ClusterError, check_scheduler

    source = Path(args.source)
    try:
        found = read_labels(source) if source.suffix.lower() == ".csv" else scan_folder(source)
        if args.scheduler:
            check_scheduler(args.scheduler)
    except (LabelsError, FileNotFoundError, ClusterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    settings = FeatureSettings(kind=args.kind, duration=args.duration, offset=args.offset)
    store = FeatureStore(args.store, settings)
    items = list(zip(found["track_id"], found["audio_path"]))
    with tqdm(unit="file", desc=f"{settings.kind} {settings.id}") as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        added = store.extract(items, jobs=args.jobs, progress=progress, scheduler_address=args.scheduler)
    for item, message in store.errors.items():
        print(f"skipped {item}: {message}")
    print(f"{added} added, {len(store)} stored in {store.root}")
    return 1 if store.errors else 0
