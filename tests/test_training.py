"""Training runs end to end on tiny synthetic data: cache, lock, stop, SIGKILL and resume, splits, CLI."""
import json
import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.data import datasets
from core.evaluation.scoring import clip_path
from core.models.config import RunConfig, preset
from core.models.runs import list_runs, request_stop
from core.training import fit
from core.training.launch import BACKGROUND_NICENESS, autogroup, check, pin_data, start_in_background

TINY = dict(input_shape=(12, 8, 1), data="synthetic:96", batch_size=16, epochs=2)


@pytest.fixture(autouse=True)
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("KEYSCOPE_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


def test_run_writes_its_folder_and_repeat_is_served_from_cache():
    config = RunConfig(**TINY)
    seen = []
    run = fit.train(config, progress=lambda epoch, total, logs: seen.append((epoch, total, "loss" in logs)))
    assert run.state == "finished" and not run.cached
    assert seen == [(1, 2, True), (2, 2, True)]
    files = {p.name for p in run.folder.iterdir()}
    assert {"config.json", "status.json", "history.csv", "model.keras", "predictions.csv", "metrics.json"} <= files
    assert len(run.history()) == 2
    predictions = pd.read_csv(run.folder / "predictions.csv")
    assert list(predictions.columns[:2]) == ["track_id", "class_index"] and predictions.shape[1] == 26
    np.testing.assert_allclose(predictions.filter(like="p").sum(axis=1), 1, rtol=1e-4)
    assert 0 <= run.metrics["accuracy"] <= 1
    model_time = (run.folder / "model.keras").stat().st_mtime_ns

    again = fit.train(RunConfig(**TINY))
    assert again.cached and again.id == run.id
    assert (run.folder / "model.keras").stat().st_mtime_ns == model_time  # not retrained
    assert [r.id for r in list_runs()] == [run.id]


def test_config_hash_is_stable_and_settings_matter():
    assert RunConfig(**TINY).id == RunConfig.from_dict(json.loads(json.dumps(RunConfig(**TINY).to_dict()))).id
    assert RunConfig(**TINY).id != RunConfig(**{**TINY, "lr": 0.01}).id
    with pytest.raises(ValueError, match="unknown loss"):
        RunConfig(loss="hinge")


def test_seed_preset_has_the_capstone_settings():
    config = preset("seed")
    assert (config.model, config.loss, config.optimizer, config.lr, config.momentum, config.batch_size) == \
        ("seed", "mse", "sgd", 1e-4, 0.8, 10)
    assert config.input_shape == (162, 162, 1)


def test_concurrent_requests_train_once():
    config = RunConfig(**TINY)
    results = []
    threads = [threading.Thread(target=lambda: results.append(fit.train(config))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.cached for r in results) == [False, True]


def test_stop_flag_stops_cleanly():
    config = RunConfig(**{**TINY, "epochs": 5})
    run = fit.train(config, progress=lambda epoch, total, logs: request_stop(config.id))
    assert run.state == "stopped" and run.status["epoch"] == 1
    assert not (run.folder / "predictions.csv").exists()
    epochs_seen = []
    run = fit.train(config, progress=lambda epoch, total, logs: epochs_seen.append(epoch))
    assert run.state == "finished" and epochs_seen == [2, 3, 4, 5]  # resumed after the stop
    assert run.history()["epoch"].tolist() == list(range(5))
    assert not (run.folder / "backup").exists()


def test_killed_run_is_not_finished_and_a_rerun_completes_it(runs):
    config = RunConfig(**{**TINY, "epochs": 12, "data": "synthetic:192"})  # far from done when killed at epoch 2
    proc = start_in_background(config)
    niceness = os.getpriority(os.PRIO_PROCESS, proc.pid) - os.getpriority(os.PRIO_PROCESS, 0)
    assert niceness == min(BACKGROUND_NICENESS, 19 - os.getpriority(os.PRIO_PROCESS, 0))  # the page first
    own = autogroup()
    if own:  # a kernel that schedules sessions as groups: the run's group yields to the dashboard's too
        name, nice = autogroup(proc.pid)
        assert name != own[0] and nice == min(own[1] + BACKGROUND_NICENESS, 19)
    status = runs / config.id / "status.json"
    deadline = time.time() + 120
    while time.time() < deadline and (json.loads(status.read_text()) if status.exists() else {}).get("epoch", 0) < 2:
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    listed = list_runs()
    assert [r.id for r in listed] == [config.id]
    assert listed[0].state == "interrupted"
    (runs / "broken").mkdir()
    (runs / "broken" / "config.json").write_text("{not json")
    assert {r.id: r.state for r in list_runs()}["broken"] == "unknown"

    done_before = listed[0].status["epoch"]
    epochs_seen = []
    run = fit.train(config, progress=lambda epoch, total, logs: epochs_seen.append(epoch))
    assert run.state == "finished"
    assert epochs_seen[0] > 1 and epochs_seen[0] >= done_before  # resumed from the backup, not from scratch
    assert epochs_seen[-1] == 12


def test_a_half_written_checkpoint_is_dropped_for_the_one_before(runs):
    config = RunConfig(**{**TINY, "epochs": 3})
    folder = runs / config.id
    folder.mkdir(parents=True)
    fit.train(RunConfig(**{**TINY, "epochs": 1}))  # a real one-epoch model to stand as the older checkpoint
    older = next(runs.glob("*/model.keras"))
    (folder / "checkpoint-00001.keras").write_bytes(older.read_bytes())
    (folder / "checkpoint-00002.keras").write_bytes(b"PK\x03\x04 killed while writing")
    model, done = fit._resume(folder)
    assert done == 1 and model is not None
    assert not (folder / "checkpoint-00002.keras").exists()
    epochs_seen = []
    run = fit.train(config, progress=lambda epoch, total, logs: epochs_seen.append(epoch))
    assert run.state == "finished" and epochs_seen == [2, 3]
    assert not list(folder.glob("checkpoint-*"))  # a finished run keeps only its model


def test_splits_are_grouped_by_song_stratified_and_reproducible():
    data = datasets.synthetic(240, (12, 8))
    train, val, test = datasets.split(data, 0.2, 0.1, seed=3)
    assert len(set(train) | set(val) | set(test)) == 240
    songs = [set(data.song_ids[ix]) for ix in (train, val, test)]
    assert not (songs[0] & songs[1] or songs[0] & songs[2] or songs[1] & songs[2])
    assert len(set(data.y[test])) >= 20
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), datasets.split(data, 0.2, 0.1, seed=3)))


def test_transposition_moves_rows_and_labels():
    x = np.zeros((1, 12, 4, 1), np.float32)
    x[0, 0] = 1  # energy on C
    shifted, y = datasets.transpose(x, np.array([2 * 0 + 1]), np.array([7]))  # C major up a fifth
    assert y.tolist() == [2 * 7 + 1]
    assert shifted[0, 7].sum() == 4 and shifted[0, 0].sum() == 0


def test_cli_trains_then_serves_from_cache(capsys):
    args = ["train", "--data", "synthetic:96", "--epochs", "1", "--config",
            json.dumps(RunConfig(**{**TINY, "epochs": 1}).to_dict())]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "served from cache" not in first and "metrics:" in first
    assert main(args) == 0
    assert "served from cache" in capsys.readouterr().out


def test_cli_bad_setting_is_one_clear_error(capsys):
    assert main(["train", "--config", json.dumps({"model": "keynet", "colour": "red"})]) == 2
    assert "unknown run settings: ['colour']" in capsys.readouterr().err


def test_ship_copies_a_finished_run(tmp_path, capsys):
    dest = tmp_path / "models" / "keynet-default"
    assert main(["train", "--data", "synthetic:96", "--epochs", "1", "--ship", str(dest),
                 "--config", json.dumps(RunConfig(**{**TINY, "epochs": 1}).to_dict())]) == 0
    assert "shipped to" in capsys.readouterr().out
    assert {"config.json", "model.keras", "metrics.json", "history.csv"} <= {p.name for p in dest.iterdir()}
    assert RunConfig.from_dict(json.loads((dest / "config.json").read_text())) == RunConfig(**{**TINY, "epochs": 1})


def test_corpus_spec_reads_msd_metadata_and_real_audio(tmp_path, monkeypatch):
    import soundfile as sf

    from core import paths
    from core.msd import hdf5
    from tests.conftest import make_catalog_frame

    frame = make_catalog_frame(3, seed=1)
    hdf5.write_summary(tmp_path / "msd_summary_file.h5", frame)
    sr = 22050
    t = np.arange(int(sr * 4)) / sr
    for track, key, mode in zip(frame["track_id"], frame["key"], frame["mode"]):
        folder = tmp_path / "audio" / f"{key}-{mode}"
        folder.mkdir(parents=True, exist_ok=True)
        tone = np.sin(2 * np.pi * 261.63 * 2 ** (key / 12) * t).astype(np.float32)  # the tonic, octave 4
        sf.write(folder / f"{track}.ogg", tone, sr)
    monkeypatch.setattr(paths, "DEFAULT_CATALOG", tmp_path / "msd_summary_file.h5")
    monkeypatch.setattr(paths, "DEFAULT_AUDIO_DIR", tmp_path / "audio")
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")

    data = datasets.load("corpus", (48, 16, 1))
    assert data.x.shape[1:] == (48, 16, 1) and len(data.x) == 3 * (len(t) // 4096 // 16 or 1)
    assert set(data.track_ids) == set(frame["track_id"])
    first = data.track_ids == frame["track_id"][0]
    assert set(data.y[first]) == {2 * frame["key"][0] + frame["mode"][0]}
    assert np.argmax(data.x[first][0, :, :, 0].sum(axis=1)) == 24 + frame["key"][0]  # C2 + 2 octaves + tonic
    cached = next((tmp_path / "cache" / "datasets").glob("*.npz"))
    stamp = cached.stat().st_mtime_ns
    assert np.array_equal(datasets.load("corpus", (48, 16, 1)).x, data.x)
    assert cached.stat().st_mtime_ns == stamp

    images = datasets.load("corpus", (162, 162, 1), representation="stft162")
    assert images.x.shape == (3, 162, 162, 1) and not images.semitone_axis
    assert 0 <= images.x.min() and images.x.max() <= 1

    next((tmp_path / "audio").rglob("*.ogg")).unlink()
    with pytest.raises(ValueError, match=r"\.ogg: audio missing"):
        datasets.load("corpus", (48, 16, 1))


def test_a_labels_csv_trains_from_the_feature_store(tmp_path, monkeypatch, runs):
    from core import paths
    from core.keys import ALL_KEYS
    from tests.audio_fixtures import write_key_audio

    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    rows = []
    for key in ALL_KEYS:
        for take in range(2):
            path = write_key_audio(tmp_path / "audio" / f"{key.folder}-{take}.wav", key, seconds=1.6, shift=take)
            rows.append(f"{path.name},{key.name}")
    (tmp_path / "audio" / "broken.wav").write_bytes(b"RIFF not really")
    rows.append("broken.wav,C major")
    (tmp_path / "audio" / "labels.csv").write_text("file,key\n" + "\n".join(rows) + "\n")
    config = RunConfig(**{**TINY, "input_shape": (24, 8, 1), "data": f"labels:{tmp_path / 'audio' / 'labels.csv'}"})

    with pytest.warns(UserWarning, match=r"1 file.*not decodable audio\): line\(s\) 50"):  # its line, not its name
        data = datasets.load(config.data, config.input_shape)
    assert isinstance(data.x, datasets.StoreArray) and len(data.x) == 48  # nothing loaded up front
    batch = data.x[np.arange(5)]
    assert batch.shape == (5, 24, 8, 1) and np.allclose(batch.max(axis=(1, 2, 3)), 1)
    shards = sorted((tmp_path / "cache" / "features").rglob("shard-*.h5"))
    assert shards

    with pytest.warns(UserWarning):
        run = fit.train(config)
    assert run.state == "finished"
    assert sorted((tmp_path / "cache" / "features").rglob("shard-*.h5")) == shards  # extracted once
    predictions = pd.read_csv(run.folder / "predictions.csv")
    # test tracks name their files relative to the CSV (no machine's folders in a shipped run), and resolve
    assert not any(os.path.isabs(track) for track in predictions.track_id)
    assert all(clip_path(track, index, config.data).is_file()
               for track, index in zip(predictions.track_id, predictions.class_index))


def test_a_run_is_pinned_to_its_labels_and_will_not_start_on_changed_ones(tmp_path):
    from tests.audio_fixtures import write_key_audio

    for name in ("C major", "A minor"):
        write_key_audio(tmp_path / f"{name[0]}.wav", name, seconds=0.5)
    labels = tmp_path / "labels.csv"
    labels.write_text("file,key\nC.wav,C major\nA.wav,A minor\n")
    unpinned = RunConfig(**{**TINY, "data": f"labels:{labels}"})
    config = pin_data(unpinned)
    assert config.data_digest and config.id != unpinned.id
    check(config)  # the labels it was pinned to
    labels.write_text("file,key\nC.wav,C major\nA.wav,C major\n")  # one key relabelled
    assert pin_data(unpinned).id != config.id  # other labels: a run of their own, the old one kept
    with pytest.raises(ValueError, match="changed after this run was set up"):
        fit.train(config)
    assert pin_data(RunConfig(**TINY)) == RunConfig(**TINY)  # generated examples: no labels to pin


@pytest.mark.parametrize("argv,words", [
    (["--data", "labels:no-such-labels.csv"], "no-such-labels.csv"),
    (["--data", "synthetic:lots"], "synthetic:N"),
    (["--data", "synthetic:5"], "at least 24"),
    (["--data", "corpse"], "unknown data spec 'corpse'"),
    (["--data", "labels:x.csv", "--preset", "seed"], "labelled audio is available as 'semitone'"),
    (["--epochs", "0"], "--epochs"),
    (["--test-fraction", "1"], "--test-fraction"),
    (["--config", '{"model": "resnet"}'], "unknown model 'resnet'"),
])
def test_a_typo_is_one_line_and_leaves_no_run_folder(runs, capsys, argv, words):
    assert main(["train", "--epochs", "1", *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not runs.exists() or not any(runs.iterdir())


def test_a_missing_corpus_is_refused_before_a_run_folder(runs, tmp_path, monkeypatch):
    from core import paths

    monkeypatch.setattr(paths, "DEFAULT_CATALOG", tmp_path / "nowhere" / "msd_summary_file.h5")
    with pytest.raises(ValueError, match="corpus is not built yet"):
        fit.train(RunConfig(**{**TINY, "data": "corpus"}))
    with pytest.raises(ValueError, match="corpus is not built yet"):
        start_in_background(RunConfig(**{**TINY, "data": "corpus"}))
    assert not runs.exists() or not any(runs.iterdir())


def test_longest_crop_gives_batches_of_several_lengths_and_keeps_old_run_ids():
    from core.data.datasets import Dataset
    from core.training.fit import _training_batches

    rng = np.random.default_rng(0)
    data = Dataset(rng.random((64, 96, 44, 1)).astype(np.float32), np.arange(64) % 24, np.arange(64).astype(str),
                   np.arange(64).astype(str), crop=(84, 32))
    batches = _training_batches(data, 8, True, 0, max_frames=44)
    lengths = {batches[i][0].shape[2] for i in range(8)}
    assert len(lengths) > 1 and min(lengths) >= 32 and max(lengths) <= 44
    batches = _training_batches(data, 8, True, 0)
    fixed = {batches[i][0].shape[2] for i in range(8)}
    assert fixed == {32}
    assert RunConfig(**TINY).id == RunConfig(**TINY, max_frames=None).id != RunConfig(**TINY, max_frames=80).id
    with pytest.raises(ValueError, match="max frames"):
        RunConfig(**TINY, max_frames=2)


def test_timbre_augmentation_reshapes_registers_but_keeps_keys_and_old_run_ids():
    from core.audio.features import tuned_semitones
    from core.data.datasets import LOG_RANGE, Dataset, reshape_timbre
    from core.models.representations import TUNED_SETTINGS
    from core.training.fit import _training_batches
    from tests.audio_fixtures import key_signal

    x = tuned_semitones(key_signal("E minor", seconds=16.0), TUNED_SETTINGS)
    x = (x / x.max())[None, :, :44, None]
    rng = np.random.default_rng(0)
    np.testing.assert_allclose(reshape_timbre(x, rng, 0.0), x, atol=1e-6)  # 0 dB: the features as they were
    heard = reshape_timbre(np.repeat(x, 16, axis=0), rng, 12.0)
    assert heard.shape == (16, *x.shape[1:]) and np.allclose(heard.max(axis=(1, 2, 3)), 1.0)
    changes = np.abs(heard - x).mean(axis=(1, 2, 3))
    assert (changes > 0.001).all() and len({h.tobytes() for h in heard}) == 16  # a different equaliser each
    # an equaliser: one gain per row (pitch) for every frame, so magnitudes keep their ratios along time
    loud = x[0, :, :, 0] > 0.3
    gains = np.expm1(heard[..., 0].astype(np.float64) * LOG_RANGE)[:, loud] / np.expm1(x[0, :, :, 0] * LOG_RANGE)[loud]
    rows = np.nonzero(loud)[0]
    for r in np.unique(rows):
        in_row = gains[:, rows == r]
        np.testing.assert_allclose(in_row, np.repeat(in_row[:, :1], in_row.shape[1], axis=1), rtol=2e-3)

    data = Dataset(np.repeat(x, 8, axis=0), np.full(8, 9), np.arange(8).astype(str), np.arange(8).astype(str),
                   crop=(84, 32))
    plain, shaped = _training_batches(data, 8, True, 0)[0], _training_batches(data, 8, True, 0, timbre_db=12.0)[0]
    np.testing.assert_array_equal(plain[1], shaped[1])  # same transpositions, same labels
    assert not np.allclose(plain[0], shaped[0])
    assert RunConfig(**TINY).id == RunConfig(**TINY, timbre_db=None).id != RunConfig(**TINY, timbre_db=12.0).id
    with pytest.raises(ValueError, match="timbre"):
        RunConfig(**TINY, timbre_db=-1.0)
