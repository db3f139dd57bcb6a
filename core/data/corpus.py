"""The bundled labelled corpus: folk tunes with published keys, rendered to audio.

Tunes (:mod:`core.data.tunes`) are transposed so that the 24 key classes are covered
equally, given an instrument, a tempo, an optional bass-and-chords accompaniment
built from the key, a loudness and some noise, turned into MIDI with pretty_midi
and rendered with midirenderer and pretty_midi's General MIDI soundfont. All
transpositions of a tune share one ``song_id`` so that they never cross splits.

Layout written by :func:`build_corpus` (the seed's, see data/README.md)::

    OUT/msd_summary_file.h5             metadata in the MSD summary layout
    OUT/audio/<key>-<mode>/<TRACK_ID>.ogg
    OUT/labels.csv                      file,key   e.g. audio/9-0/TR....ogg,A minor
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from core.data.tunes import Tune, list_tunes, parse_tune
from core.keys import MAJOR, Key, as_key
from core.runtime.files import replacing

SAMPLE_RATE = 22050
BUNDLED_CLIP_SECONDS = 15.0  # the bundled corpus (generated corpora: core.data.synth.build.CLIP_SECONDS)
DEFAULT_SIZE = 480
MANIFEST_KEYS = {"seed", "max_tunes", "seconds", "sample_rate"}  # corpus.json: the settings of a build
# General MIDI programs for the melody: piano, organ, accordion, guitar, violin, flute, clarinet, oboe, harp, marimba.
MELODY_PROGRAMS = (0, 19, 21, 24, 40, 73, 71, 68, 46, 12)
BASS_PROGRAMS = (32, 33, 42)        # acoustic bass, electric bass, cello
CHORD_PROGRAMS = (0, 48, 24, 4)     # piano, strings, guitar, electric piano
# Diatonic triads (root offset from the tonic, quality intervals) for simple accompaniment.
_TRIADS = {MAJOR: ((0, (0, 4, 7)), (5, (0, 4, 7)), (7, (0, 4, 7)), (9, (0, 3, 7))),
           0: ((0, (0, 3, 7)), (5, (0, 3, 7)), (7, (0, 4, 7)), (3, (0, 4, 7)))}


@dataclass(frozen=True)
class ClipPlan:
    """How one clip is made from a tune: everything random is decided here, from the seed."""

    tune: Tune
    semitones: int
    tempo: float
    melody_program: int
    accompaniment: bool
    bass_program: int
    chord_program: int
    velocity: int
    gain_db: float
    snr_db: float
    noise_seed: int

    @property
    def key(self) -> Key:
        return self.tune.text.key.transpose(self.semitones)

    @property
    def track_id(self) -> str:
        digest = hashlib.sha1(f"{self.tune.text.song_id}/{self.semitones}/{self.noise_seed}".encode()).hexdigest()
        return "TR" + digest[:16].upper()


def plan_corpus(size: int = DEFAULT_SIZE, seed: int = 0, max_tunes: int | None = None) -> list[ClipPlan]:
    """Plans for ``size`` clips, half major and half minor, each tonic equally often.

    Tunes are drawn in a seeded order; clip ``j`` of a mode is transposed to
    tonic ``j % 12`` (so every tonic gets the same share) and uses tune
    ``(j + j // 12) % T``, so a tune comes back on different tonics.
    ``max_tunes`` caps the tunes parsed per mode (tests use a few).
    """
    rng = np.random.default_rng(seed)
    texts = list_tunes()
    order = rng.permutation(len(texts))
    plans: list[ClipPlan] = []
    for mode in (0, MAJOR):
        wanted = size // 2 + (size % 2 if mode == MAJOR else 0)
        # About 3 transpositions per tune: variety without a tune dominating a class.
        n_tunes = max(1, min(wanted, (wanted + 2) // 3, max_tunes or wanted))
        tunes = _parse_first([texts[i] for i in order if texts[i].key.mode == mode], n_tunes)
        for j in range(wanted):
            tune = tunes[(j + j // 12) % len(tunes)]
            target = j % 12
            semitones = (target - tune.text.key.tonic + 5) % 12 - 5  # -5..+6: keep the register sane
            plans.append(ClipPlan(
                tune=tune, semitones=semitones, tempo=float(rng.uniform(80, 150)),
                melody_program=int(rng.choice(MELODY_PROGRAMS)), accompaniment=bool(rng.random() < 0.75),
                bass_program=int(rng.choice(BASS_PROGRAMS)), chord_program=int(rng.choice(CHORD_PROGRAMS)),
                velocity=int(rng.integers(60, 115)), gain_db=float(rng.uniform(-14, -2)),
                snr_db=float(rng.uniform(25, 50)), noise_seed=int(rng.integers(2**31)),
            ))
    return plans


def _parse_first(texts, count: int) -> list[Tune]:
    tunes = []
    for text in texts:
        tune = parse_tune(text)
        if tune is not None:
            tunes.append(tune)
        if len(tunes) == count:
            break
    if not tunes:
        raise RuntimeError("no readable tunes found in music21's corpus")
    return tunes


def clip_midi(plan: ClipPlan, seconds: float = BUNDLED_CLIP_SECONDS):
    """The clip as a :class:`pretty_midi.PrettyMIDI`: melody (looped to fill ``seconds``) and accompaniment."""
    import pretty_midi

    beat = 60.0 / plan.tempo
    midi = pretty_midi.PrettyMIDI(initial_tempo=plan.tempo)
    melody = pretty_midi.Instrument(program=plan.melody_program)
    tune = plan.tune
    loops = int(np.ceil(seconds / (tune.length * beat)))
    for loop in range(loops):
        for start, length, pitch in tune.notes:
            t0 = (loop * tune.length + start) * beat
            if t0 >= seconds:
                continue
            melody.notes.append(pretty_midi.Note(plan.velocity, pitch + plan.semitones, t0, min(t0 + length * beat, seconds)))
    midi.instruments.append(melody)
    if plan.accompaniment:
        midi.instruments.extend(_accompaniment(plan, melody.notes, beat, seconds))
    return midi


def _accompaniment(plan: ClipPlan, melody_notes, beat: float, seconds: float):
    """Bass root and a triad every two beats, the diatonic chord that best covers the melody there."""
    import pretty_midi

    key = plan.key
    bass = pretty_midi.Instrument(program=plan.bass_program)
    chords = pretty_midi.Instrument(program=plan.chord_program)
    span = 2 * beat
    velocity = max(30, plan.velocity - 25)
    for i in range(int(np.ceil(seconds / span))):
        t0, t1 = i * span, min((i + 1) * span, seconds)
        weight = np.zeros(12)
        for note in melody_notes:
            overlap = min(note.end, t1) - max(note.start, t0)
            if overlap > 0:
                weight[note.pitch % 12] += overlap
        root, intervals = max(_TRIADS[key.mode], key=lambda triad: sum(weight[(key.tonic + triad[0] + k) % 12] for k in triad[1]))
        root_pc = (key.tonic + root) % 12
        bass.notes.append(pretty_midi.Note(velocity, 36 + root_pc, t0, t1))
        for interval in intervals:
            chords.notes.append(pretty_midi.Note(velocity - 10, 55 + (root_pc + interval - 7) % 12, t0, t1))
    return [bass, chords]


def render_clip(plan: ClipPlan, soundfont: bytes, seconds: float = BUNDLED_CLIP_SECONDS) -> np.ndarray:
    """Mono float32 audio at :data:`SAMPLE_RATE`: rendered, scaled to the plan's gain, noise added."""
    import librosa
    import midirenderer
    import soundfile as sf

    buffer = io.BytesIO()
    clip_midi(plan, seconds).write(buffer)
    wave, rate = sf.read(io.BytesIO(midirenderer.render_wave_from(soundfont, buffer.getvalue())), dtype="float32")
    y = wave.mean(axis=1) if wave.ndim == 2 else wave
    y = librosa.resample(y, orig_sr=rate, target_sr=SAMPLE_RATE)[: int(seconds * SAMPLE_RATE)]
    peak = float(np.max(np.abs(y))) or 1.0
    y = y / peak * 10 ** (plan.gain_db / 20)
    rms = float(np.sqrt(np.mean(y**2))) or 1e-6
    noise = np.random.default_rng(plan.noise_seed).standard_normal(len(y)).astype(np.float32)
    y = y + noise * rms * 10 ** (-plan.snr_db / 20)
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def soundfont_bytes() -> bytes:
    """pretty_midi's bundled General MIDI soundfont (TimGM6mb.sf2)."""
    import pretty_midi

    return (Path(pretty_midi.__file__).parent / "TimGM6mb.sf2").read_bytes()


def clip_file(audio_dir: str | Path, track_id: str, key: "Key | str | int") -> Path:
    """Where a corpus clip lives: ``<audio_dir>/<key>-<mode>/<TRACK_ID>.ogg`` (the seed's layout)."""
    return Path(audio_dir) / as_key(key).folder / f"{track_id}.ogg"


def check_out(out: str | Path, manifest: str = "corpus.json", keys: set[str] = MANIFEST_KEYS) -> dict | None:
    """The manifest of the corpus build in ``out`` (None for a missing or empty folder); a ValueError unless
    ``out`` is a folder a corpus builder may write: missing, empty, or a corpus Keyscope made (its ``manifest``
    file names at least ``keys``). Both builders (this one and :mod:`core.data.synth.build`) ask here, so files
    Keyscope did not make are never overwritten."""
    import json

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; name a folder for the corpus")
    if not out.is_dir() or not any(out.iterdir()):
        return None
    try:
        found = json.loads((out / manifest).read_text())
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict) or not keys <= set(found):
        raise ValueError(f"{out} is not an empty folder: it holds files Keyscope did not make (no {manifest} of a "
                         "corpus build); choose a new or empty folder")
    return found


def build_corpus(out: str | Path, size: int = DEFAULT_SIZE, seed: int = 0, max_tunes: int | None = None,
                 seconds: float = BUNDLED_CLIP_SECONDS, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Render the corpus into ``out`` (layout in the module docstring); returns its catalog rows.

    Deterministic for a given ``size``, ``seed`` and ``max_tunes``. Clips already on disk
    from a build with the same settings (``corpus.json``) are kept, so an interrupted build
    resumes; clips made with other settings, or left from a larger build, are removed. The
    metadata is written last. A folder this module did not make is refused first (:func:`check_out`).
    """
    import json

    import pandas as pd
    import soundfile as sf

    from core.msd.hdf5 import write_summary

    out = Path(out)
    check_out(out)
    plans = plan_corpus(size, seed, max_tunes)
    manifest = {"seed": seed, "max_tunes": max_tunes, "seconds": seconds, "sample_rate": SAMPLE_RATE}
    manifest_path = out / "corpus.json"
    wanted = {clip_file(out / "audio", plan.track_id, plan.key) for plan in plans}
    same_settings = manifest_path.exists() and json.loads(manifest_path.read_text()) == manifest
    for clip in (out / "audio").glob("*/*.ogg"):
        if not same_settings or clip not in wanted:
            clip.unlink()
    out.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=2))
    soundfont = soundfont_bytes()
    rows, labels = [], []
    for done, plan in enumerate(plans, start=1):
        relative = clip_file("audio", plan.track_id, plan.key)
        target = out / relative
        if not target.exists():
            y = render_clip(plan, soundfont, seconds)
            target.parent.mkdir(parents=True, exist_ok=True)
            with replacing(target) as tmp:
                sf.write(tmp, y, SAMPLE_RATE, format="OGG", subtype="VORBIS", compression_level=0.85)
        else:
            y = sf.read(target, dtype="float32")[0]
        rows.append(_catalog_row(plan, y))
        labels.append({"file": relative.as_posix(), "key": plan.key.name})
        if progress:
            progress(done, len(plans))
    frame = pd.DataFrame(rows)
    write_summary(out / "msd_summary_file.h5", frame)
    pd.DataFrame(labels).to_csv(out / "labels.csv", index=False)
    return frame


def _catalog_row(plan: ClipPlan, y: np.ndarray) -> dict:
    text = plan.tune.text
    rms = float(np.sqrt(np.mean(y.astype(np.float64) ** 2))) or 1e-9
    return {
        "track_id": plan.track_id, "song_id": text.song_id, "artist_name": "Traditional",
        "title": text.title, "release": text.collection, "year": text.year,
        "duration": round(len(y) / SAMPLE_RATE, 3), "tempo": round(plan.tempo, 2),
        "loudness": round(20 * np.log10(rms), 2), "key": plan.key.tonic, "mode": plan.key.mode,
        "key_confidence": plan.tune.key_confidence, "mode_confidence": plan.tune.mode_confidence,
    }
