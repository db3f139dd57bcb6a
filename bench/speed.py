"""Speed benchmark: decoding, features and prediction per system, one process and all cores; training.

Per system and stage: seconds of compute per minute of audio and the multiple of real
time (audio seconds / compute seconds), each the median of ``repeats`` passes over the same
clips. One process: each stage timed over all clips with ``msd_scale.timed``, and "file to key":
:func:`core.estimate.song.predict_song` on each file, the path ``predict``, ``evaluate`` and the
Predict page take (windows read in turn, all windows through the model in one call). All cores:
joblib (loky) over the clips with ``n_jobs=os.cpu_count()``, each worker running the whole
chain per clip; a stage's figure is its in-worker time summed over clips and divided by the
number of workers, and ``wall`` is the pass's measured wall time (with dispatch overhead).
Every process loads and warms each estimator on one clip before it is timed.

Training: ``python bench/speed.py --train-probe EPOCHS`` trains the keynet preset on the
corpus in a temporary ``KEYSCOPE_RUNS`` and prints examples/s and its own peak memory as JSON.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import systems  # noqa: F401 - puts the repository root on sys.path
from joblib import Parallel, delayed
from msd_scale import timed
from tqdm import tqdm

from core.audio.decode import duration_s, load_audio
from core.estimate.estimators import load_estimator
from core.estimate.song import predict_song

STAGES = ("decode", "features", "predict")
_ESTIMATORS: dict = {}


def clips(n: int) -> list[Path]:
    """``n`` corpus clips spread evenly over the key classes."""
    from core.paths import DEFAULT_AUDIO_DIR

    found = sorted(DEFAULT_AUDIO_DIR.rglob("*.ogg"))
    step = max(1, len(found) // n)
    return found[::step][:n]


def _chain(estimator, path: Path) -> tuple[float, float, float]:
    """Seconds to decode ``path``, make the estimator's features, predict."""
    start = time.perf_counter()
    y = load_audio(path, sr=estimator.settings.sample_rate)
    decoded = time.perf_counter()
    features = estimator.features(y)
    extracted = time.perf_counter()
    estimator.predict_proba(features)
    return decoded - start, extracted - decoded, time.perf_counter() - extracted


def _estimator(name: str, warm_clip: Path):
    """The system loaded once per process and run once on ``warm_clip`` (JIT, graph tracing, caches)."""
    if name not in _ESTIMATORS:
        estimator = load_estimator(name)
        _chain(estimator, warm_clip)
        _ESTIMATORS[name] = estimator
    return _ESTIMATORS[name]


def _worker(name: str, path: Path, warm_clip: Path) -> tuple[float, float, float, float]:
    """One clip's stage times in a joblib worker, and the worker's peak RSS (MB) so far."""
    return (*_chain(_estimator(name, warm_clip), path), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _per_minute(seconds: float, minutes: float) -> dict:
    return {"s_per_min": seconds / minutes, "x_realtime": 60 / (seconds / minutes) if seconds else None}


def one_process(name: str, files: list[Path], minutes: float, repeats: int) -> dict:
    estimator = _estimator(name, files[0])
    sr = estimator.settings.sample_rate
    decode_s, audio = timed(lambda: [load_audio(f, sr=sr) for f in files], repeats)
    features_s, features = timed(lambda: [estimator.features(y) for y in audio], repeats)
    predict_s, _ = timed(lambda: [estimator.predict_proba(x) for x in features], repeats)
    song_s, _ = timed(lambda: [predict_song(f, estimator) for f in files], repeats)
    seconds = dict(zip(STAGES, (decode_s, features_s, predict_s)), total=decode_s + features_s + predict_s,
                   file_to_key=song_s)
    return {stage: _per_minute(s, minutes) for stage, s in seconds.items()}


def all_cores(name: str, files: list[Path], minutes: float, repeats: int, n_jobs: int) -> dict:
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    list(parallel(delayed(_worker)(name, files[0], files[0]) for _ in range(2 * n_jobs)))  # load, warm every worker
    passes = []
    wall_s, _ = timed(lambda: passes.append(list(parallel(delayed(_worker)(name, f, files[0]) for f in files))),
                      repeats)
    seconds = {stage: statistics.median(sum(times[i] for times in p) for p in passes) / n_jobs
               for i, stage in enumerate(STAGES)}
    return {**{stage: _per_minute(s, minutes) for stage, s in seconds.items()}, "wall": _per_minute(wall_s, minutes),
            "peak_rss_mb": max(times[-1] for p in passes for times in p)}


def run(names: list[str], files: list[Path], repeats: int) -> dict:
    """All cores first, while this process is small (a child's ru_maxrss starts from its parent's size at fork)."""
    from joblib.externals.loky import get_reusable_executor

    n_jobs = os.cpu_count() or 1
    minutes = sum(duration_s(f) for f in files) / 60
    parallel = {name: all_cores(name, files, minutes, repeats, n_jobs)
                for name in tqdm(names, desc=f"speed, {n_jobs} workers")}
    get_reusable_executor().shutdown(wait=True)
    single = {name: one_process(name, files, minutes, repeats) for name in tqdm(names, desc="speed, one process")}
    label = {name: _ESTIMATORS[name].name for name in names}
    return {"clips": len(files), "audio_min": round(minutes, 2), "n_jobs": n_jobs, "repeats": repeats,
            "workers_peak_rss_mb": round(max(p.pop("peak_rss_mb") for p in parallel.values()), 1),
            "one_process": {label[n]: single[n] for n in names}, "all_cores": {label[n]: parallel[n] for n in names}}


def training(repeats: int, epochs: int) -> dict | str:
    """Median of ``repeats`` fresh training runs (each its own process) of ``epochs`` epochs, or why it failed."""
    probes = []
    for _ in tqdm(range(repeats), desc=f"training, {epochs} epochs"):
        with tempfile.TemporaryDirectory() as runs:
            done = subprocess.run([sys.executable, __file__, "--train-probe", str(epochs)], capture_output=True,
                                  text=True, env={**os.environ, "KEYSCOPE_RUNS": runs})
        if done.returncode:
            return "failed: " + (done.stderr.strip().splitlines() or ["exit status %d" % done.returncode])[-1]
        probes.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(p[key] for p in probes) if isinstance(probes[0][key], float) else probes[0][key]
            for key in probes[0]} | {"repeats": repeats}


def train_probe(epochs: int) -> dict:
    """Train the keynet preset on the corpus for ``epochs`` epochs in this process (KEYSCOPE_RUNS set by the caller)."""
    from core.data import datasets
    from core.models.config import preset
    from core.training.fit import train

    config = preset("keynet", data="corpus", epochs=epochs)
    data = datasets.load(config.data, config.input_shape, config.split_seed, config.representation)  # builds the cache
    n_train = len(datasets.split(data, config.test_fraction, config.val_fraction, config.split_seed)[0])
    ends = []
    start = time.perf_counter()
    run = train(config, progress=lambda epoch, total, logs: ends.append(time.perf_counter()))
    wall = time.perf_counter() - start
    if run.state != "finished" or run.cached:
        raise RuntimeError(f"training probe: run {run.id} is {run.state}{' (cached)' if run.cached else ''}")
    later = [b - a for a, b in zip(ends, ends[1:])]
    return {"epochs": epochs, "train_examples": n_train, "batch_size": config.batch_size,
            "first_epoch_s": ends[0] - start, "epoch_s": statistics.median(later) if later else float("nan"),
            "examples_per_s": n_train / statistics.median(later) if later else float("nan"),
            "examples_per_s_overall": n_train * epochs / wall, "train_wall_s": wall,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--train-probe"]:
        print(json.dumps(train_probe(int(sys.argv[2]))))
