"""The training-data engine (core.data.synth): exact keys, production that keeps length and pitch,
parallel resumable builds that survive SIGKILL, and training an eqkey run on what it made."""
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core import paths
from core.data.synth import arrange, build, production
from core.data.synth.styles import STYLES
from core.estimate.profiles import match
from core.keys import N_CLASSES, Key

STYLE_NAMES = [*sorted(STYLES), arrange.TUNE]


def pitch_classes(midi) -> np.ndarray:
    """Duration-weighted pitch-class histogram of every pitched note."""
    histogram = np.zeros(12)
    for instrument in midi.instruments:
        if not instrument.is_drum:
            for note in instrument.notes:
                histogram[note.pitch % 12] += note.end - note.start
    return histogram


def both_stems(plan):
    comp, rest = arrange.arrangement(plan, 12.0)
    return pitch_classes(comp) + pitch_classes(rest)



def harmony(plan):
    """Pitch classes of the parts that follow the chords exactly: comping and bass (a tune: all of it)."""
    comp, rest = arrange.arrangement(plan, 12.0)
    parts = rest.instruments if plan.style == arrange.TUNE else \
        [i for i in rest.instruments if i.program == plan.bass_program and not i.is_drum][:1]
    return pitch_classes(comp) + sum(pitch_classes(type("M", (), {"instruments": [i]})) for i in parts)


@pytest.mark.parametrize("style", STYLE_NAMES)
def test_a_plan_in_another_key_is_the_same_harmony_transposed(style):
    for index in (0, 1):  # C minor and C major, moved to other tonics
        base = arrange.plan_clip(7, Key.from_index(index), style)
        for tonic in (2, 7, 11):
            moved = arrange.plan_clip(7, Key(tonic, index % 2), style)
            np.testing.assert_allclose(harmony(moved), np.roll(harmony(base), tonic), atol=1e-6)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_lead_lines_keep_to_the_scale_and_the_chords(style):
    for seed in range(6):
        plan = arrange.plan_clip(seed, Key.from_index(seed * 7 % N_CLASSES), style)
        if plan.lead_program is None:
            continue
        lead = arrange.arrangement(plan, 12.0)[1].instruments[-1]
        from core.data.synth.styles import CHORDS

        chord_tones = {(plan.key.tonic + degree + i) % 12 for degree, quality in plan.progression for i in CHORDS[quality]}
        allowed = set(arrange._scale(plan.key, harmonic=STYLES[style].harmonic)) | chord_tones | ({(plan.key.tonic + d) % 12 for d in (3, 6, 10)}
                                                                 if STYLES[style].blue_notes else set())
        assert {n.pitch % 12 for n in lead.notes} <= allowed


def test_a_sung_plan_is_its_unsung_twin_with_a_voice_that_bends_around_the_notes():
    for seed, style in enumerate(build.POPULAR):
        key = Key.from_index(seed * 5 % N_CLASSES)
        plain, sung = arrange.plan_clip(seed, key, style), arrange.plan_clip(seed, key, style, sung=True)
        assert sung.sung and sung.lead_program in arrange.SUNG_PROGRAMS
        assert replace(sung, lead_program=plain.lead_program, sung=False) == plain
        rest = arrange.arrangement(sung, 12.0)[1]
        lead = rest.instruments[-1]
        assert lead.program == sung.lead_program and lead.notes and min(n.velocity for n in lead.notes) >= 60
        bends = np.array([b.pitch for b in lead.pitch_bends]) / arrange.BEND_PER_SEMITONE
        assert np.abs(bends).max() <= 1.5 and bends.std() > 0.05  # scoops and vibrato, never another note
        assert lead.pitch_bends[-1].pitch == 0 and lead.pitch_bends[-1].time >= lead.notes[-1].end
        unsung_lead = arrange.arrangement(replace(sung, sung=False), 12.0)[1].instruments[-1]
        assert [n.pitch for n in unsung_lead.notes] == [n.pitch for n in lead.notes] and not unsung_lead.pitch_bends
    assert [p.sung for p in build.plan_corpus("sung", 4)] == [True] * 4
    assert not any(p.sung for p in build.plan_corpus("popular", 4))


def test_a_key_profile_finds_the_asked_key_in_the_notes():
    """Krumhansl-Schmuckler on the notes names the key asked for in most clips of every style (the
    rest mostly its relative or a fifth away, as in real songs; chance is 1/24)."""
    by_style = {}
    for style in STYLE_NAMES:
        scores = []
        for seed in range(24):
            key = Key.from_index((5 * seed) % N_CLASSES)
            notes = both_stems(arrange.plan_clip(seed, key, style))
            guess = Key.from_index(int(np.argmax(match(notes, "krumhansl"))))
            scores.append(1.0 if guess == key else 0.3 if guess == key.relative else
                          0.5 if guess in (key.dominant, key.subdominant) else 0.0)
        by_style[style] = np.mean(scores)
    assert min(by_style.values()) >= 0.55 and np.mean(list(by_style.values())) >= 0.75, by_style


def test_production_keeps_length_and_pitch():
    sr = 22050
    t = np.arange(4 * sr) / sr
    tone = sum(np.sin(2 * np.pi * 440.0 * h * t) / h for h in (1, 2, 3)).astype(np.float32) * 0.2
    for seed in range(4):
        out = production.produce(tone, sr, seed, comp=tone.copy(), distorted=seed % 2 == 0)
        assert out.shape == tone.shape and out.dtype == np.float32 and np.abs(out).max() <= 1
        import librosa

        spectrum = np.abs(librosa.stft(out, n_fft=16384, hop_length=8192))
        from core.audio.features import estimate_tuning

        assert abs(estimate_tuning(spectrum, sr)) <= production.MAX_DETUNE_CENTS / 100 + 0.05
        chroma = librosa.feature.chroma_stft(y=out, sr=sr, n_fft=8192).mean(axis=1)
        assert int(np.argmax(chroma)) == 9  # still an A


def test_rendered_clips_sound_in_their_key(tmp_path):
    """Real renders through the soundfonts and production: a key template agrees with most labels."""
    labels = build.build(tmp_path / "c", "popular", size=8, seed=3, jobs=2)
    from core.audio.decode import load_audio
    from core.estimate.estimators import estimate_audio, load_estimator

    template = load_estimator("template:krumhansl")
    scores = []
    for file, text in zip(labels["file"], labels["key"]):
        y = load_audio(tmp_path / "c" / file, sr=22050)
        assert abs(len(y) / 22050 - build.CLIP_SECONDS) < 0.1
        guess = Key.from_index(int(np.argmax(estimate_audio(template, y, 22050))))
        scores.append(Key.parse(text).index == guess.index or Key.parse(text).relative == guess)
    assert np.mean(scores) >= 0.5, list(zip(labels["key"], scores))
    manifest = json.loads((tmp_path / "c" / "synth.json").read_text())
    assert manifest["recipe"] == "popular" and manifest["size"] == 8 and manifest["soundfonts"]


def test_build_refuses_a_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "labels.csv").write_text("file,key\nsong.wav,C major\n")
    with pytest.raises(ValueError, match="not an empty folder"):
        build.build(tmp_path / "mine", "popular", size=2)
    assert (tmp_path / "mine" / "labels.csv").read_text() == "file,key\nsong.wav,C major\n"


def test_corpus_command_resumes_after_sigkill(tmp_path):
    out = tmp_path / "corpus"
    command = [sys.executable, "-m", "core", "corpus", "--recipe", "reggae", "--size", "24", "--jobs", "1",
               "--out", str(out)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=paths.ROOT)
    deadline = time.time() + 300
    while len(list(out.glob("audio/*/*.ogg"))) < 3 and time.time() < deadline:
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(out.glob("audio/*/*.ogg")))
    assert 3 <= done_before < 24
    finished = subprocess.run(command, capture_output=True, text=True, cwd=paths.ROOT)
    assert finished.returncode == 0, finished.stderr
    clips = list(out.glob("audio/*/*.ogg"))
    labels = pd.read_csv(out / "labels.csv")
    assert len(clips) == 24 and len(labels) == 24 and not list(out.rglob("*.tmp*"))
    assert sorted(labels["key"].map(lambda k: Key.parse(k).index)) == list(range(24))


def test_eqkey_trains_on_a_generated_corpus_and_predicts_a_song(tmp_path, monkeypatch):
    from core.data import datasets
    from core.estimate.estimators import load_estimator
    from core.estimate.song import predict_song
    from core.models.config import preset
    from core.training import fit
    from tests.audio_fixtures import write_key_audio

    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setenv("KEYSCOPE_RUNS", str(tmp_path / "runs"))
    build.build(build.default_out("country", 0), "country", size=24, jobs=2)
    config = preset("eqkey", data="synth:country-s0", epochs=2, width=4, test_fraction=0.25)
    run = fit.train(config)
    assert run.state == "finished" and run.metrics["n"] >= 4
    data_info = json.loads((run.folder / "data.json").read_text())
    assert data_info["examples"] == 24 and data_info["corpora"][0]["recipe"] == "country"
    estimator = load_estimator(str(run.folder))
    song = write_key_audio(tmp_path / "song.wav", "A minor", seconds=25.0)
    prediction = predict_song(song, estimator)
    assert prediction.window_proba.shape == (2, N_CLASSES) and abs(prediction.proba.sum() - 1) < 1e-6
    with pytest.raises(ValueError, match="corpus --recipe tunes --seed 4"):
        datasets.load("synth:tunes-s4", config.input_shape, representation="tuned")
