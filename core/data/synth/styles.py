"""Popular-music styles for generated training clips: progressions, grooves and instruments.

A chord is ``(degree, quality)``: ``degree`` is semitones above the tonic and ``quality`` a key of
:data:`CHORDS` (intervals above the chord root). Progressions are idioms of each style in the
given mode, borrowed chords included (``bVII`` in major rock, ``V`` in minor, dominant sevenths on
every degree of a blues). Programs are General MIDI numbers (0-based).
"""
from __future__ import annotations

from dataclasses import dataclass

from core.keys import MAJOR, MINOR

CHORDS = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "5": (0, 7, 12), "sus4": (0, 5, 7),
    "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "m7": (0, 3, 7, 10), "m7b5": (0, 3, 6, 10),
    "9": (0, 4, 7, 10, 14), "m9": (0, 3, 7, 10, 14), "6": (0, 4, 7, 9), "add9": (0, 4, 7, 14),
}

Chord = tuple[int, str]
Progression = tuple[Chord, ...]


def _prog(text: str) -> Progression:
    """``"0:maj 7:maj 9:min 5:maj"`` -> ((0, "maj"), (7, "maj"), (9, "min"), (5, "maj"))."""
    return tuple((int(degree), quality) for degree, quality in (item.split(":") for item in text.split()))


@dataclass(frozen=True)
class Style:
    """How one style sounds: tempo, feel, drum groove, bass figure, comping, instruments."""

    name: str
    tempo: tuple[float, float]
    progressions: dict[int, tuple[Progression, ...]]  # mode -> idiomatic progressions
    groove: str                  # drum pattern name in core.data.synth.arrange.GROOVES
    bass: str                    # bass figure: roots, root_fifth, octaves, walking, offbeat, riff
    comp: str                    # comping rhythm: whole, strum, offbeat, power, stabs, arpeggio
    comp_programs: tuple[int, ...]
    bass_programs: tuple[int, ...]
    lead_programs: tuple[int, ...]
    swing: float = 0.0           # probability of a swung feel
    distortion: float = 0.0      # probability that the comping guitar is distorted
    blue_notes: bool = False     # lead bends toward b3, b5, b7
    pentatonic: bool = False     # lead on the pentatonic scale of the mode (minor: 1 b3 4 5 b7), over any chords
    harmonic: bool = False       # lead in minor on the harmonic minor scale (raised 7th, the dominant's leading tone)
    beats_per_chord: tuple[int, ...] = (4,)


GUITARS_CLEAN = (24, 25, 26, 27)
GUITARS_DIST = (29, 30)
KEYS = (0, 1, 2, 4, 5)
ORGANS = (16, 17, 18)
PADS = (48, 49, 50, 88, 89, 91)
BRASS = (56, 57, 61, 62)
VOICES = (52, 53, 54, 85)
SAXES = (64, 65, 66)
SYNTH_LEADS = (80, 81, 87)
BASSES = (32, 33, 34, 35, 36, 38, 39)

STYLES: dict[str, Style] = {s.name: s for s in (
    Style("pop", (80, 130), {
        MAJOR: (_prog("0:maj 7:maj 9:min 5:maj"), _prog("0:maj 9:min 5:maj 7:maj"), _prog("9:min 5:maj 0:maj 7:maj"),
                _prog("0:maj 5:maj 9:min 7:maj"), _prog("0:add9 7:maj 9:min 5:maj 0:maj 5:maj 7:sus4 7:maj")),
        MINOR: (_prog("0:min 8:maj 3:maj 10:maj"), _prog("0:min 5:min 10:maj 3:maj"), _prog("0:min 10:maj 8:maj 10:maj"),
                _prog("0:min 3:maj 10:maj 5:min"), _prog("0:min 8:maj 5:min 7:maj")),
    }, "pop", "root_fifth", "strum", GUITARS_CLEAN + KEYS + PADS, BASSES, VOICES + SYNTH_LEADS + (0, 73)),
    Style("rock", (95, 160), {
        MAJOR: (_prog("0:maj 10:maj 5:maj 0:maj"), _prog("0:maj 5:maj 7:maj 5:maj"), _prog("0:5 7:5 5:5 0:5"),
                _prog("0:maj 7:maj 5:maj 0:maj"), _prog("0:maj 3:maj 5:maj 0:maj")),
        MINOR: (_prog("0:min 10:maj 8:maj 10:maj"), _prog("0:5 3:5 10:5 5:5"), _prog("0:min 3:maj 10:maj 5:maj"),
                _prog("0:min 8:maj 10:maj 0:min"), _prog("0:min 5:min 7:min 0:min")),
    }, "rock", "octaves", "power", GUITARS_DIST + GUITARS_CLEAN, BASSES, VOICES + GUITARS_DIST + (81,), distortion=0.6),
    Style("metal", (90, 190), {
        MAJOR: (_prog("0:5 10:5 5:5 0:5"), _prog("0:5 3:5 5:5 0:5")),
        MINOR: (_prog("0:5 8:5 10:5 0:5"), _prog("0:5 1:5 0:5 10:5"), _prog("0:5 3:5 5:5 6:5 5:5 3:5"),
                _prog("0:min 8:maj 10:maj 7:maj"), _prog("0:5 0:5 8:5 7:5")),
    }, "metal", "riff", "power", GUITARS_DIST, (33, 34, 38), VOICES + GUITARS_DIST, distortion=0.95,
        beats_per_chord=(2, 4)),
    Style("blues", (60, 130), {
        MAJOR: (_prog("0:7 0:7 0:7 0:7 5:7 5:7 0:7 0:7 7:7 5:7 0:7 7:7"),
                _prog("0:7 5:7 0:7 0:7 5:7 5:7 0:7 0:7 7:7 5:7 0:7 7:7")),
        MINOR: (_prog("0:m7 0:m7 0:m7 0:m7 5:m7 5:m7 0:m7 0:m7 8:7 7:7 0:m7 7:7"),
                _prog("0:m7 5:m7 0:m7 0:m7 5:m7 5:m7 0:m7 0:m7 8:7 7:7 0:m7 0:m7")),
    }, "shuffle", "walking", "stabs", GUITARS_CLEAN + KEYS + ORGANS + GUITARS_DIST, (32, 33, 34),
        SAXES + (26, 27, 29) + VOICES + (22,), swing=0.8, distortion=0.2, blue_notes=True),
    # Blues-rock as records have it: dominant or power chords under a minor-pentatonic riff and vocal
    # line, which is what makes such songs minor to a listener (and to published annotations).
    Style("bluesrock", (70, 150), {
        MAJOR: (_prog("0:7 5:7 0:7 7:7"), _prog("0:5 10:5 5:5 0:5"), _prog("0:7 0:7 5:7 5:7 0:7 0:7 7:7 5:7")),
        MINOR: (_prog("0:7 0:7 0:7 0:7 5:7 5:7 0:7 0:7 7:7 5:7 0:7 7:7"), _prog("0:5 10:5 5:5 0:5"),
                _prog("0:7 5:7"), _prog("0:5 3:5 5:5 0:5"), _prog("0:maj 10:maj 5:maj 0:maj")),
    }, "shuffle", "riff", "power", GUITARS_DIST + GUITARS_CLEAN + ORGANS, BASSES, VOICES + GUITARS_DIST + SAXES + (22,),
        swing=0.5, distortion=0.5, blue_notes=True, pentatonic=True),
    Style("jazz", (70, 200), {
        MAJOR: (_prog("2:m7 7:7 0:maj7 9:m7"), _prog("0:maj7 9:m7 2:m7 7:7"), _prog("4:m7 9:7 2:m7 7:7"),
                _prog("0:6 9:7 2:m9 7:9")),
        MINOR: (_prog("2:m7b5 7:7 0:m7 0:m7"), _prog("0:m7 5:m7 2:m7b5 7:7"), _prog("0:m9 8:maj7 2:m7b5 7:7")),
    }, "swing", "walking", "stabs", (0, 1, 4, 26, 11), (32,), SAXES + (56, 73, 0, 26, 65), swing=0.9),
    Style("country", (80, 150), {
        MAJOR: (_prog("0:maj 5:maj 0:maj 7:maj"), _prog("0:maj 0:maj 5:maj 7:maj"), _prog("0:maj 7:maj 5:maj 0:maj"),
                _prog("0:maj 9:min 5:maj 7:maj")),
        MINOR: (_prog("0:min 3:maj 10:maj 0:min"), _prog("0:min 5:min 7:maj 0:min")),
    }, "country", "root_fifth", "strum", (25, 24, 0, 27), (32, 33), (25, 110, 40, 27) + VOICES),
    Style("reggae", (65, 95), {
        MAJOR: (_prog("0:maj 5:maj 7:maj 5:maj"), _prog("0:maj 9:min 5:maj 7:maj"), _prog("0:maj 5:maj")),
        MINOR: (_prog("0:min 5:min"), _prog("0:min 10:maj 8:maj 10:maj"), _prog("0:min 3:maj 5:min 0:min")),
    }, "onedrop", "offbeat", "offbeat", (27, 16, 17, 0, 28), (33, 38, 39), VOICES + (16, 56, 65)),
    Style("disco", (110, 130), {
        MAJOR: (_prog("0:maj7 2:m7"), _prog("0:maj 9:min 2:min 7:7"), _prog("5:maj7 4:m7 2:m7 0:maj7")),
        MINOR: (_prog("0:m7 5:m7"), _prog("0:m7 10:maj 8:maj7 7:7"), _prog("0:m9 3:maj7 5:m7 10:7")),
    }, "disco", "octaves", "stabs", (27, 4, 48, 49) + BRASS, (33, 36, 38, 39), VOICES + (48, 56, 81)),
    # Minor as tonal music has it: a major dominant with the raised leading tone (harmonic minor), the
    # Andalusian and Aeolian cadences, Dorian i-IV, a Picardy third at the end; major twins beside them.
    # Block chords, arpeggios or strums over a plain bass, drums or none: what separates a minor key from
    # its parallel major is then the third of the tonic and subdominant, never the dominant.
    Style("cadence", (60, 140), {
        MAJOR: (_prog("0:maj 5:maj 7:maj 0:maj"), _prog("0:maj 5:maj 7:7 0:maj"), _prog("0:maj 9:min 5:maj 7:maj"),
                _prog("0:maj 2:min 7:7 0:maj"), _prog("0:maj 5:maj 0:maj 7:maj"), _prog("0:maj 10:maj 5:maj 0:maj"),
                _prog("0:maj 4:min 5:maj 7:7")),
        MINOR: (_prog("0:min 5:min 7:maj 0:min"), _prog("0:min 5:min 7:7 0:min"), _prog("0:min 8:maj 5:min 7:maj"),
                _prog("0:min 2:dim 7:7 0:min"), _prog("0:min 5:min 0:min 7:maj"), _prog("0:min 10:maj 8:maj 7:maj"),
                _prog("0:min 5:maj 0:min 5:maj"), _prog("0:min 5:min 7:7 0:maj"), _prog("0:min 3:maj 5:min 7:7")),
    }, "pop", "roots", "whole", KEYS + ORGANS + PADS + (48, 49, 24, 25, 6, 19), BASSES + (42, 43, 58),
        VOICES + SAXES + (40, 41, 68, 71, 73, 56), harmonic=True, beats_per_chord=(2, 4)),
    Style("hiphop", (75, 100), {
        MAJOR: (_prog("0:maj7 9:m7"), _prog("0:maj7 5:maj7 4:m7 9:m7"), _prog("5:maj7 7:6 4:m7 9:m7")),
        MINOR: (_prog("0:min 8:maj"), _prog("0:m7 5:m7 10:maj 3:maj7"), _prog("0:min 0:min 8:maj 7:maj"),
                _prog("0:m9 5:m7")),
    }, "boombap", "roots", "arpeggio", KEYS + PADS + (11, 46), (38, 39, 33, 87), VOICES + SYNTH_LEADS + (11,),
        swing=0.4, beats_per_chord=(4, 8)),
)}
