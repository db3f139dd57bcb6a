"""Arrangements in a given key: drums, bass, comping and a lead line as pretty_midi instruments, or
a folk tune from music21's corpus (:mod:`core.data.tunes`) transposed to the key, solo or accompanied.

:func:`plan_clip` draws every random choice of one clip from a seed (so a plan is reproducible and
its key exact by construction); :func:`arrangement` turns a plan into two MIDI stems, the comping
part (which production may distort) and the rest (drums, bass, lead).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from core.data.synth.styles import CHORDS, STYLES, Progression
from core.keys import MAJOR, Key

# 16 steps per bar: (kick, snare, closed hat, open hat / ride) hit masks, "x" = hit.
GROOVES = {
    "pop":     ("x.......x.x.....", "....x.......x...", "x.x.x.x.x.x.x.x.", "................"),
    "rock":    ("x.....x.x.......", "....x.......x...", "x.x.x.x.x.x.x.x.", "................"),
    "metal":   ("xxxxxxxxxxxxxxxx", "....x.......x...", "x...x...x...x...", "................"),
    "shuffle": ("x.......x.......", "....x.......x...", "x..xx..xx..xx..x", "................"),
    "swing":   ("x...............", "............x...", "................", "x..xx..xx..xx..x"),
    "country": ("x.......x.......", "....x.......x...", "xxxxxxxxxxxxxxxx", "................"),
    "onedrop": ("........x.......", "........x.......", "x.x.x.x.x.x.x.x.", "..x...x...x...x."),
    "disco":   ("x...x...x...x...", "....x.......x...", "x...x...x...x...", "..x...x...x...x."),
    "boombap": ("x.......x.x.....", "....x.......x...", "x.x.x.x.x.x.x.x.", "................"),
}
DRUM_NOTES = (36, 38, 42, 46)  # GM: kick, snare, closed hat, open hat
RIDE = 51


@dataclass(frozen=True)
class ClipPlan:
    """Everything random about one generated clip, decided from its seed."""

    seed: int
    key: Key
    style: str
    progression: Progression
    tempo: float
    beats_per_chord: int
    swing: bool
    comp_program: int
    bass_program: int
    lead_program: int | None
    drums: bool
    distorted: bool
    soundfont: int  # index into the soundfonts the build found
    tune: int | None = None  # style "tune": index of the first candidate among the tunes of the key's mode
    sung: bool = False  # the lead is a voice on top of the mix, sung (:func:`sing`)

    @property
    def track_id(self) -> str:
        return f"TRSYN{self.seed:012d}"


TUNE = "tune"  # the style of folk-tune clips
TUNE_PROGRAMS = (40, 0, 73, 6, 24, 21, 19, 42, 48, 71, 68, 46)  # violin, piano, flute, harpsichord, ...
SUNG_PROGRAMS = (52, 53, 54, 85)  # General MIDI choir aahs, voice oohs, synth voice, lead 6 (voice)
BEND_PER_SEMITONE = 4096  # MIDI pitch-bend units per semitone at the General MIDI default range of +-2


def plan_clip(seed: int, key: Key, style: str | None = None, n_soundfonts: int = 1, sung: bool = False) -> ClipPlan:
    """A random arrangement of ``style`` (random when None) in ``key``, all choices from ``seed``; ``sung``:
    always a lead, a voice, drawn after the other choices (which stay those of the same seed unsung)."""
    rng = np.random.default_rng(seed)
    style = style or str(rng.choice(sorted(STYLES)))
    if style == TUNE:
        return ClipPlan(seed=seed, key=key, style=style, progression=(), tempo=float(rng.uniform(70, 150)),
                        beats_per_chord=2, swing=False, comp_program=int(rng.choice((0, 48, 24, 4, 6))),
                        bass_program=int(rng.choice((32, 33, 42))), lead_program=int(rng.choice(TUNE_PROGRAMS)),
                        drums=False, distorted=False, soundfont=int(rng.integers(n_soundfonts)),
                        tune=int(rng.integers(len(tunes_in_mode(key.mode)))))
    s = STYLES[style]
    progressions = s.progressions[key.mode]
    plan = ClipPlan(
        seed=seed, key=key, style=style, progression=progressions[int(rng.integers(len(progressions)))],
        tempo=float(rng.uniform(*s.tempo)), beats_per_chord=int(rng.choice(s.beats_per_chord)),
        swing=bool(rng.random() < s.swing), comp_program=int(rng.choice(s.comp_programs)),
        bass_program=int(rng.choice(s.bass_programs)),
        lead_program=int(rng.choice(s.lead_programs)) if rng.random() < 0.75 else None,
        drums=bool(rng.random() < 0.9), distorted=bool(rng.random() < s.distortion),
        soundfont=int(rng.integers(n_soundfonts)),
    )
    return replace(plan, lead_program=int(rng.choice(SUNG_PROGRAMS)), sung=True) if sung else plan


def _step_time(step: int, step_s: float, swing: bool) -> float:
    """Start of 16th-note ``step``; a swung feel delays every second 16th by a third of a step."""
    return step * step_s + (step_s / 3 if swing and step % 2 else 0.0)


@lru_cache(maxsize=2)
def tunes_in_mode(mode: int) -> tuple:
    """The folk tunes (:class:`core.data.tunes.TuneText`) whose stated key has this mode, in a fixed order."""
    from core.data.tunes import list_tunes

    return tuple(t for t in list_tunes() if t.key.mode == mode)


def tune_arrangement(plan: ClipPlan, seconds: float):
    """The plan's folk tune moved to its key: melody alone, or with bass and chords (core.data.corpus), as the
    ``rest`` stem. A tune music21 cannot read is replaced by the next one of the same mode."""
    import pretty_midi

    from core.data import corpus
    from core.data.tunes import parse_tune

    candidates = tunes_in_mode(plan.key.mode)
    for offset in range(len(candidates)):
        tune = parse_tune(candidates[(plan.tune + offset) % len(candidates)])
        if tune is not None:
            break
    rng = np.random.default_rng(plan.seed + 1)
    semitones = (plan.key.tonic - tune.text.key.tonic + 5) % 12 - 5
    folk = corpus.ClipPlan(tune=tune, semitones=semitones, tempo=plan.tempo, melody_program=plan.lead_program,
                           accompaniment=bool(rng.random() < 0.5), bass_program=plan.bass_program,
                           chord_program=plan.comp_program, velocity=int(rng.integers(60, 115)), gain_db=0.0,
                           snr_db=90.0, noise_seed=plan.seed)
    return pretty_midi.PrettyMIDI(initial_tempo=plan.tempo), corpus.clip_midi(folk, seconds)


def arrangement(plan: ClipPlan, seconds: float):
    """``(comp, rest)``: two :class:`pretty_midi.PrettyMIDI` stems of the plan, ``seconds`` long."""
    import pretty_midi

    if plan.style == TUNE:
        return tune_arrangement(plan, seconds)

    rng = np.random.default_rng(plan.seed + 1)
    style = STYLES[plan.style]
    beat = 60.0 / plan.tempo
    step = beat / 4
    n_steps = int(np.ceil(seconds / step))
    chord_steps = 4 * plan.beats_per_chord
    tonic = plan.key.tonic
    comp = pretty_midi.Instrument(program=plan.comp_program)
    bass = pretty_midi.Instrument(program=plan.bass_program)
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    lead = pretty_midi.Instrument(program=plan.lead_program or 0)

    def note(inst, pitch, start, length, velocity):
        start = _step_time(start, step, plan.swing)
        if start < seconds:
            velocity = int(np.clip(velocity + rng.integers(-8, 9), 20, 127))
            inst.notes.append(pretty_midi.Note(velocity, int(pitch), start, min(start + length * step, seconds)))

    for bar_step in range(0, n_steps, 16):
        if plan.drums:
            for notes, mask in zip(DRUM_NOTES if plan.style != "jazz" else (36, 38, 42, RIDE), GROOVES[style.groove]):
                for i, hit in enumerate(mask):
                    if hit == "x":
                        note(drums, notes, bar_step + i, 1, 100 if notes in (36, 38) else 70)
    scale = _scale(plan.key, style.pentatonic, style.harmonic)
    for chord_no, start in enumerate(range(0, n_steps, chord_steps)):
        degree, quality = plan.progression[chord_no % len(plan.progression)]
        root = (tonic + degree) % 12
        intervals = CHORDS[quality]
        _comp_part(comp, note, style.comp, root, intervals, start, chord_steps, plan.distorted)
        _bass_part(bass, note, style.bass, root, intervals, start, chord_steps, rng, scale)
        if plan.lead_program is not None:
            _lead_part(lead, note, root, intervals, start, chord_steps, rng, scale, style.blue_notes, tonic,
                       style.pentatonic)
    if plan.sung:
        sing(lead, np.random.default_rng([plan.seed, 2]))
    comp_midi = pretty_midi.PrettyMIDI(initial_tempo=plan.tempo)
    comp_midi.instruments.append(comp)
    rest = pretty_midi.PrettyMIDI(initial_tempo=plan.tempo)
    rest.instruments.extend(inst for inst in (drums, bass, lead) if inst.notes)
    return comp_midi, rest


def sing(inst, rng, rate_hz: float = 50.0) -> None:
    """Make a monophonic line sound sung: 20 steps of velocity over the band, and, as MIDI pitch bends, a scoop
    up into some notes (up to a semitone), vibrato on held ones after a straight onset (4.5-6.5 Hz, up to
    +-0.45 semitone) and a little intonation error per note (8 cents typical)."""
    import pretty_midi

    for n in inst.notes:
        n.velocity = int(min(127, n.velocity + 20))
        detune = rng.normal(0.0, 0.08)
        scoop = rng.uniform(0.3, 1.0) if rng.random() < 0.4 else 0.0
        scoop_s, depth, speed = rng.uniform(0.05, 0.12), rng.uniform(0.15, 0.45), rng.uniform(4.5, 6.5)
        for t in np.arange(n.start, n.end, 1.0 / rate_hz):
            dt = t - n.start
            bend = detune - scoop * max(0.0, 1.0 - dt / scoop_s)
            if dt > 0.2:
                bend += depth * min(1.0, (dt - 0.2) / 0.3) * np.sin(2 * np.pi * speed * (dt - 0.2))
            value = int(np.clip(round(bend * BEND_PER_SEMITONE), -8192, 8191))
            inst.pitch_bends.append(pretty_midi.PitchBend(value, float(t)))
    if inst.notes:
        inst.pitch_bends.append(pretty_midi.PitchBend(0, float(inst.notes[-1].end)))


def _scale(key: Key, pentatonic: bool = False, harmonic: bool = False) -> list[int]:
    """Pitch classes of the key's scale (natural minor in minor, harmonic minor with ``harmonic``), or of its
    pentatonic scale."""
    if pentatonic:
        steps = (0, 2, 4, 7, 9) if key.mode == MAJOR else (0, 3, 5, 7, 10)
    else:
        steps = (0, 2, 4, 5, 7, 9, 11) if key.mode == MAJOR else (0, 2, 3, 5, 7, 8, 11 if harmonic else 10)
    return [(key.tonic + s) % 12 for s in steps]


def _voicing(root: int, intervals: tuple[int, ...], low: int = 52) -> list[int]:
    """Chord tones from the first root at or above ``low``, within about an octave and a half."""
    base = low + (root - low) % 12
    return [base + i for i in intervals]


def _comp_part(inst, note, rhythm, root, intervals, start, length, distorted) -> None:
    if rhythm == "power" or distorted:  # power chords: root, fifth, octave, chugged eighths
        pitches = [40 + (root - 40) % 12 + i for i in (0, 7, 12)]
        hits = range(0, length, 2)
        dur = 2
    else:
        pitches = _voicing(root, intervals)
        hits, dur = {"whole": ([0], length), "strum": (range(0, length, 4), 3), "offbeat": (range(2, length, 4), 1),
                     "stabs": ([0, 6, 10] if length >= 12 else [0, 6], 2),
                     "arpeggio": (range(0, length, 2), 2)}[rhythm]
    for k, hit in enumerate(hits):
        chosen = [pitches[k % len(pitches)]] if rhythm == "arpeggio" and not distorted else pitches
        for pitch in chosen:
            note(inst, pitch, start + hit, dur, 78)


def _bass_part(inst, note, figure, root, intervals, start, length, rng, scale) -> None:
    low = 28 + (root - 28) % 12  # E1..D#2
    if figure == "walking":
        tones = [low, low + intervals[1], low + intervals[2], low + intervals[-1] % 12]
        for k, hit in enumerate(range(0, length, 4)):
            note(inst, tones[k % len(tones)] if k % 4 < 3 else low + int(rng.choice([-1, 1, 2])), start + hit, 4, 90)
        return
    pattern = {"roots": [(0, 0, 8), (10, 0, 6)], "root_fifth": [(0, 0, 6), (8, 7, 6)],
               "octaves": [(i, 12 * (i // 2 % 2), 2) for i in range(0, 16, 2)],
               "offbeat": [(2, 0, 2), (6, 0, 2), (8, 7, 2), (12, 12, 2)],
               "riff": [(i, (0, 0, 0, 7, 0, 0, 10, 12)[i // 2], 1) for i in range(0, 16, 2)]}[figure]
    for bar in range(0, length, 16):
        for hit, offset, dur in pattern:
            if hit + bar < length:
                note(inst, low + offset, start + bar + hit, dur, 95)


def _lead_part(inst, note, root, intervals, start, length, rng, scale, blue_notes, tonic, in_scale=False) -> None:
    """A stepwise line over the scale, landing on chord tones at the chord's start (``in_scale``: only on
    those the scale holds, as a riff over dominant chords keeps its minor third)."""
    chord_tones = [(root + i) % 12 for i in intervals]
    if in_scale:
        chord_tones = [pc for pc in chord_tones if pc in scale] or scale
    pitch = 60 + (chord_tones[int(rng.integers(len(chord_tones)))] - 60) % 12
    position = 0
    while position < length:
        dur = int(rng.choice([2, 2, 4, 4, 6, 8]))
        if rng.random() < 0.8:
            note(inst, pitch, start + position, dur, 88)
        position += dur
        candidates = [p for p in range(pitch - 4, pitch + 5) if p % 12 in scale and 55 <= p <= 84]
        if blue_notes and rng.random() < 0.2:
            candidates += [p for p in range(pitch - 4, pitch + 5) if (p - tonic) % 12 in (3, 6, 10)]
        pitch = int(rng.choice(candidates)) if candidates else pitch
