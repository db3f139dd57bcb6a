"""``python -m core train``: train a key CNN as a cached run (same settings again: the stored run at once)."""
from __future__ import annotations

import argparse
import json
import sys

ANALYSES_AUDIO = True
HELP = "train a key CNN (eqkey, keynet or the capstone's seed network) as a cached, resumable run"

_SETTINGS = ("model", "loss", "optimizer", "lr", "momentum", "epochs", "batch_size", "data", "split_seed",
             "test_fraction", "val_fraction", "representation", "width", "init", "max_frames", "timbre_db")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.argtypes import fraction, non_negative_float, open_fraction, output_folder, positive_float, positive_int
    from core.models.builders import BUILDERS
    from core.models.config import PRESETS

    parser.add_argument("--preset", choices=sorted(PRESETS), default="keynet",
                        help="start from these settings (seed: the capstone's MSE/SGD setup; eqkey: the real-music "
                             "model on a generated corpus); default keynet")
    parser.add_argument("--model", choices=sorted(BUILDERS))
    parser.add_argument("--representation", help="feature representation name (recorded in the config)")
    parser.add_argument("--width", type=positive_int, help="filters in the first block of keynet or eqkey (more: slower, "
                                                    "more capacity)")
    parser.add_argument("--init", metavar="MODEL",
                        help="start from this model's weights (default, a shipped model's name or a run id): "
                             "fine-tuning; the model, input shape and width must match it")
    parser.add_argument("--max-frames", dest="max_frames", type=positive_int,
                        help="tuned data: each training batch a random run of the input's frames up to this many")
    parser.add_argument("--timbre-db", dest="timbre_db", type=non_negative_float,
                        help="tuned data: each training example through a random equaliser of up to +-this many dB")
    parser.add_argument("--loss", choices=["categorical_crossentropy", "mse"])
    parser.add_argument("--optimizer", choices=["adam", "sgd"])
    parser.add_argument("--lr", type=positive_float)
    parser.add_argument("--momentum", type=non_negative_float)
    parser.add_argument("--epochs", type=positive_int)
    parser.add_argument("--batch-size", dest="batch_size", type=positive_int)
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="random transposition per example (label follows)")
    parser.add_argument("--data", help="'corpus' (the bundled corpus, default), 'synth:RECIPE' (a corpus made by "
                                        "`corpus --recipe`; several joined by '+', 'realpool' among them: the real "
                                        "recordings `pool all` labelled), 'labels:FILE.csv' (any file,key labelled audio, read "
                                        "through the feature store) or 'synthetic:N'")
    parser.add_argument("--split-seed", dest="split_seed", type=int)
    parser.add_argument("--test-fraction", dest="test_fraction", type=open_fraction)
    parser.add_argument("--val-fraction", dest="val_fraction", type=fraction)
    parser.add_argument("--ship", type=output_folder, metavar="DIR",
                        help="copy the finished run to DIR (e.g. models/eqkey-default)")
    parser.add_argument("--config", metavar="JSON", help="a whole RunConfig as JSON (overrides everything else)")
    parser.add_argument("--watched", action="store_true",
                        help="stop (resumable) when the page that started the run stops watching it")


def run(args: argparse.Namespace) -> int:
    from core.models.config import RunConfig, preset
    from core.models.runs import ship
    from core.training.fit import train
    from core.training.launch import pin_data

    try:
        if args.config:
            config = RunConfig.from_dict(json.loads(args.config))
        else:
            overrides = {name: getattr(args, name) for name in (*_SETTINGS, "augment")
                         if getattr(args, name, None) is not None}
            config = pin_data(preset(args.preset, **overrides))
    except (ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        run_ = train(config, verbose=1 if sys.stdout.isatty() else 2, watched=args.watched)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(("served from cache: " if run_.cached else "") + f"run {run_.id} ({run_.state})")
    print(f"folder: {run_.folder}")
    print(f"metrics: {json.dumps(run_.metrics)}")
    if args.ship and run_.state == "finished":
        print(f"shipped to {ship(run_, args.ship)}")
    return 0 if run_.state in ("finished", "stopped") else 1
