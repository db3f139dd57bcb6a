"""The shipped default names tonal minor keys: i-iv-V-i with the raised leading tone in the dominant (harmonic
minor), bass and block chords, rendered with a General MIDI soundfont, in all 12 minor keys, and the major
twins I-IV-V-I in all 12 major keys. Labels are exact by construction.

Tonal minor music has a major dominant, so the dominant alone says "major"; what says minor is the tonic's
and the subdominant's third. A model that hears only the dominant's brightness names the parallel major.
"""
from __future__ import annotations

import numpy as np
import pytest

from core.keys import MAJOR, MINOR, Key

pretty_midi = pytest.importorskip("pretty_midi")

# (seconds per chord, times through the cadence, dominant seventh, lowest chord note): a quick cadence
# voiced high with a V7, and a slow one in the middle register with a plain V triad.
VOICINGS = ((1.0, 3, True, 72), (2.0, 1, False, 60))


def cadence_midi(key: Key, seconds_per_chord: float, times: int, seventh: bool, low: int):
    """i-iv-V-i (minor) or I-IV-V-I (major) in ``key``: piano block chords over a bass guitar's roots."""
    third = 3 if key.mode == MINOR else 4
    chords = [(0, (0, third, 7)), (5, (0, third, 7)), (7, (0, 4, 7, 10) if seventh else (0, 4, 7)), (0, (0, third, 7))]
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    piano, bass = pretty_midi.Instrument(program=0), pretty_midi.Instrument(program=33)
    for n, (degree, intervals) in enumerate(chords * times):
        start, root = n * seconds_per_chord, (key.tonic + degree) % 12
        end = start + seconds_per_chord
        piano.notes += [pretty_midi.Note(80, low + root + i, start, end) for i in intervals]
        bass.notes.append(pretty_midi.Note(95, 36 + root, start, end))
    midi.instruments += [piano, bass]
    return midi


@pytest.fixture(scope="module")
def default_model():
    from core.estimate.estimators import load_estimator

    return load_estimator("default")


@pytest.mark.parametrize("mode", [MINOR, MAJOR], ids=["minor", "major"])
@pytest.mark.parametrize("voicing", VOICINGS, ids=["quick-high-V7", "slow-middle-V"])
def test_cadences_name_their_key(default_model, mode, voicing):
    from core.data.synth.render import SAMPLE_RATE, render_midi, soundfonts
    from core.estimate.estimators import estimate_audio

    font = soundfonts()[0]  # pretty_midi's own TimGM6mb: on every machine
    named = {}
    for tonic in range(12):
        key = Key(tonic, mode)
        proba = estimate_audio(default_model, render_midi(cadence_midi(key, *voicing), font), SAMPLE_RATE)
        named[key.name] = Key.from_index(int(np.argmax(proba))).name
    wrong = {want: got for want, got in named.items() if want != got}
    assert not wrong, f"{len(wrong)} of 12 cadences named wrong (published -> named): {wrong}"
