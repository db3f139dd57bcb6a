"""The bundled corpus generator: real tunes, real rendering, the MSD/seed layout, determinism."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from core.cli import main
from core.data.corpus import SAMPLE_RATE, build_corpus, plan_corpus
from core.data.tunes import _key_of, list_tunes
from core.keys import Key
from core.msd import hdf5


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    frame = build_corpus(out, size=24, seed=3, max_tunes=2, seconds=4.0)
    return out, frame


def test_abc_key_fields_keep_major_and_minor_only():
    assert _key_of("X:1\nT:a\nK:Bbm\n") == Key.parse("Bb minor")
    assert _key_of("X:1\nT:a\nK: G\n") == Key.parse("G major")
    assert _key_of("X:1\nT:a\nK:Dmix\n") is None
    assert _key_of("X:1\nT:a\nK:Ador\n") is None
    tunes = list_tunes()
    assert len(tunes) > 1000 and {t.key.mode for t in tunes} == {0, 1}


def test_plan_covers_every_class_equally_and_keeps_tunes_on_one_song_id():
    plans = plan_corpus(size=48, seed=1, max_tunes=3)
    counts = pd.Series([p.key.index for p in plans]).value_counts()
    assert len(counts) == 24 and counts.min() == counts.max() == 2
    by_song = pd.DataFrame({"song": [p.tune.text.song_id for p in plans], "title": [p.tune.text.title for p in plans]})
    assert (by_song.groupby("song")["title"].nunique() == 1).all()
    assert len({p.track_id for p in plans}) == 48


def test_build_writes_msd_summary_labels_and_audio_in_the_seed_layout(tiny_corpus):
    out, frame = tiny_corpus
    catalog = hdf5.read_catalog(out / "msd_summary_file.h5")
    assert len(catalog) == 24 and sorted(catalog["class_index"]) == list(range(24))
    assert catalog["track_id"].str.fullmatch(r"TR[0-9A-F]{16}").all()
    assert catalog["key_confidence"].between(0, 1).all() and catalog["mode_confidence"].between(0, 1).all()
    labels = pd.read_csv(out / "labels.csv")
    for row in labels.itertuples():
        track_id = row.file.split("/")[-1].removesuffix(".ogg")
        entry = catalog.set_index("track_id").loc[track_id]
        assert Key.parse(row.key).folder == row.file.split("/")[1] == f"{entry['key']}-{entry['mode']}"
        y, rate = sf.read(out / row.file)
        assert rate == SAMPLE_RATE and y.ndim == 1 and abs(len(y) / rate - 4.0) < 0.05 and np.abs(y).max() > 0.01


def test_rendered_audio_carries_the_labelled_key(tiny_corpus):
    """The chroma of a clip correlates best with its own key's major/minor triad pitch classes."""
    import librosa

    out, _ = tiny_corpus
    labels = pd.read_csv(out / "labels.csv")
    hits = 0
    for row in labels.itertuples():
        y, rate = sf.read(out / row.file, dtype="float32")
        chroma = librosa.feature.chroma_cqt(y=y, sr=rate).mean(axis=1)
        key = Key.parse(row.key)
        tonic_triad = [key.tonic, (key.tonic + 7) % 12]
        hits += chroma[tonic_triad].mean() > np.median(chroma)
    assert hits >= 0.8 * len(labels)


def test_same_seed_same_corpus(tmp_path):
    first = build_corpus(tmp_path / "a", size=24, seed=5, max_tunes=1, seconds=2.0)
    second = build_corpus(tmp_path / "b", size=24, seed=5, max_tunes=1, seconds=2.0)
    pd.testing.assert_frame_equal(first, second)
    # Ogg streams carry a random serial number, so compare the decoded samples.
    for path in (tmp_path / "a").rglob("*.ogg"):
        twin = tmp_path / "b" / path.relative_to(tmp_path / "a")
        np.testing.assert_array_equal(sf.read(path)[0], sf.read(twin)[0])


def test_rebuilding_with_other_settings_leaves_no_stale_clips(tmp_path):
    build_corpus(tmp_path, size=48, seed=5, max_tunes=1, seconds=2.0)
    frame = build_corpus(tmp_path, size=24, seed=5, max_tunes=1, seconds=2.0)  # smaller: other clips go
    clips = sorted((tmp_path / "audio").rglob("*.ogg"))
    assert sorted(p.stem for p in clips) == sorted(frame.track_id) and len(clips) == 24
    kept = {p: p.stat().st_mtime_ns for p in clips}
    build_corpus(tmp_path, size=24, seed=5, max_tunes=1, seconds=2.0)
    assert all(kept[p] == p.stat().st_mtime_ns for p in clips)  # same settings: reused, not rendered again
    build_corpus(tmp_path, size=24, seed=5, max_tunes=1, seconds=1.0)  # shorter clips: all rendered again
    assert {round(sf.info(p).duration, 1) for p in (tmp_path / "audio").rglob("*.ogg")} == {1.0}


def test_command_rejects_a_size_below_one_clip_per_class(tmp_path, capsys):
    assert main(["corpus", "--out", str(tmp_path), "--size", "5"]) == 2
    assert "--size" in capsys.readouterr().err and not any(tmp_path.iterdir())


def test_key_profiles_rotate_to_the_key_and_rank_the_tonic_first():
    from core.estimate.profiles import profile, profile_matrix

    g_major = profile("G major", normalise=False)
    assert g_major.argmax() == 7 and np.isclose(g_major[7], 6.35)
    matrix = profile_matrix("temperley")
    assert matrix.shape == (24, 12) and np.allclose(matrix.sum(axis=1), 1)
    assert np.allclose(matrix[Key.parse("A minor").index], np.roll(matrix[Key.parse("C minor").index], 9))
    with pytest.raises(ValueError, match="unknown profile"):
        profile("C major", "nonesuch")


def test_a_folder_keyscope_did_not_make_is_never_written(tmp_path, capsys):
    """An MSD copy (summary file, labels) in the output folder stays byte for byte; one line says why."""
    mine = {"msd_summary_file.h5": b"the user's own summary file", "labels.csv": b"file,key\nmine.wav,C major\n"}
    for name, data in mine.items():
        (tmp_path / name).write_bytes(data)
    with pytest.raises(ValueError, match="Keyscope did not make"):
        build_corpus(tmp_path, size=24, seed=5, max_tunes=1, seconds=1.0)
    assert main(["corpus", "--out", str(tmp_path), "--size", "24"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "did not make" in err and len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == mine
    (tmp_path / "corpus.json").write_text('{"something": "else"}')  # someone else's corpus.json
    with pytest.raises(ValueError, match="Keyscope did not make"):
        build_corpus(tmp_path, size=24, seed=5, max_tunes=1, seconds=1.0)

