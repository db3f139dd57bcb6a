"""Feature store: parallel extraction, skipping, bad files, resume after SIGKILL, a Dask cluster."""
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core.audio.decode import load_audio
from core.audio.features import FeatureSettings, extract
from core.audio.store import FeatureStore
from tests.audio_fixtures import write_key_audio

SETTINGS = FeatureSettings(kind="chroma", duration=1.0)
KEYS = ["C major", "A minor", "F# minor", "E major", "B minor", "G major"]


def _items(folder: Path, n: int = 6):
    return [(f"TR{i:03d}", write_key_audio(folder / f"TR{i:03d}.wav", KEYS[i % len(KEYS)], 1.0, shift=i // 6))
            for i in range(n)]


def test_parallel_extraction_matches_direct_and_skips_stored(tmp_path):
    items = _items(tmp_path / "audio")
    store = FeatureStore(tmp_path / "store", SETTINGS)
    seen = []
    assert store.extract(items, jobs=2, shard_size=4, progress=lambda d, t: seen.append((d, t))) == 6
    assert seen[-1] == (6, 6)
    direct = extract(load_audio(items[2][1], duration=1.0), SETTINGS)
    assert np.allclose(store.get("TR002"), direct)
    reopened = FeatureStore(tmp_path / "store", SETTINGS)
    assert reopened.ids() == [i for i, _ in items]
    assert reopened.extract(items) == 0
    batches = list(reopened.iter_batches(batch_size=4))
    assert [len(ids) for ids, _ in batches] == [4, 2] and batches[0][1].shape == (4, *SETTINGS.shape)
    assert reopened.read_many(["TR005", "TR000"]).shape == (2, *SETTINGS.shape)
    with pytest.raises(KeyError, match="TR999"):
        reopened.get("TR999")


def test_bad_file_reported_others_kept(tmp_path):
    items = _items(tmp_path / "audio", 3)
    bad = tmp_path / "audio" / "BAD.mp3"
    bad.write_text("not audio")
    store = FeatureStore(tmp_path / "store", SETTINGS)
    assert store.extract(items + [("BAD", bad)]) == 3
    assert "BAD.mp3" in store.errors["BAD"] and "BAD" not in store and len(store) == 3


def test_same_audio_under_two_ids_shares_content_hash(tmp_path):
    (item, path), = _items(tmp_path / "audio", 1)
    copy = tmp_path / "copy.wav"
    copy.write_bytes(Path(path).read_bytes())
    store = FeatureStore(tmp_path / "store", SETTINGS)
    store.extract([(item, path), ("COPY", copy)])
    assert store.hash_of("COPY") == store.hash_of(item)
    assert np.array_equal(store.get("COPY"), store.get(item))


def test_resume_after_sigkill(tmp_path):
    items = _items(tmp_path / "audio", 6)
    script = textwrap.dedent(f"""
        import os, signal
        from core.audio.features import FeatureSettings
        from core.audio.store import FeatureStore
        items = {[(i, str(p)) for i, p in items]!r}
        def die(done, total):
            if done == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        FeatureStore({str(tmp_path / "store")!r}, FeatureSettings(**{SETTINGS.to_dict()!r})).extract(
            items, shard_size=2, progress=die)
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1])
    assert run.returncode == -signal.SIGKILL
    partial = FeatureStore(tmp_path / "store", SETTINGS)
    stored = len(partial)
    assert 0 < stored < 6
    assert all(partial.get(i).shape == SETTINGS.shape for i in partial.ids())
    assert partial.extract(items) == 6 - stored
    assert FeatureStore(tmp_path / "store", SETTINGS).ids() == [i for i, _ in items]


def test_dask_local_cluster(tmp_path):
    from distributed import LocalCluster

    items = _items(tmp_path / "audio", 4)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        store = FeatureStore(tmp_path / "store", SETTINGS)
        assert store.extract(items, scheduler_address=cluster.scheduler_address) == 4
    local = FeatureStore(tmp_path / "local", SETTINGS)
    local.extract(items)
    assert np.allclose(store.read_many(store.ids()), local.read_many(local.ids()))


def test_features_command_on_labels_csv(tmp_path, capsys):
    from core.cli import main

    items = _items(tmp_path / "audio", 3)
    labels = tmp_path / "audio" / "labels.csv"
    labels.write_text("file,key\n" + "".join(f"{Path(p).name},{KEYS[n]}\n" for n, (_, p) in enumerate(items)))
    argv = [str(labels), "--store", str(tmp_path / "store"), "--kind", "chroma", "--duration", "1"]
    assert main(["features", *argv, "--jobs", "2"]) == 0
    assert "3 added, 3 stored" in capsys.readouterr().out
    assert main(["features", *argv]) == 0
    assert "0 added, 3 stored" in capsys.readouterr().out
    labels.write_text("file,key\nTR000.wav,X major\n")
    assert main(["features", *argv]) == 2
    err = capsys.readouterr().err
    assert "line 2: unknown key" in err and "X major" not in err
