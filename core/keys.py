"""The key vocabulary: every conversion between the ways Keyscope names a key.

Notations: standard names ("F# minor", spelled as musicians expect, or with sharps or flats only),
Camelot codes ("11A") and Open Key codes ("4m"); :func:`compatible_keys` lists the keys a DJ mixes
with a key (same, relative, one step on the wheel, and optionally the ±1 semitone energy boost).

Conventions (DESIGN.md): MSD ``key`` 0..11 with C = 0, ``mode`` 1 = major and
0 = minor; the seed's class index is ``2 * key + mode`` (0 = C minor,
1 = C major, ..., 23 = B major) and its folder name is ``"key-mode"``.
Relations and MIREX scores are delegated to :mod:`mir_eval.key`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

N_CLASSES = 24
MAJOR, MINOR = 1, 0
MODE_NAMES = {MAJOR: "major", MINOR: "minor"}
SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
# The spelling musicians expect for each tonic and mode (fewest accidentals).
_PREFERRED = {
    MAJOR: ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
    MINOR: ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"),
}
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_KEY_RE = re.compile(
    r"^\s*(?P<letter>[A-Ga-g])\s*(?P<accidental>#|♯|-?sharp|-?flat|b|♭|-)?\s*"
    r"(?P<mode>major|minor|maj|min|m|M|dur|moll)?\s*$"
)
_CAMELOT_RE = re.compile(r"\s*(1[0-2]|[1-9])\s*([ABab])\s*")
_OPEN_KEY_RE = re.compile(r"\s*(1[0-2]|[1-9])\s*([dmDM])\s*")
NOTATIONS = ("standard", "camelot", "openkey")
ACCIDENTALS = ("preferred", "sharps", "flats")
_MODE_WORDS = {"major": MAJOR, "maj": MAJOR, "M": MAJOR, "dur": MAJOR,
               "minor": MINOR, "min": MINOR, "m": MINOR, "moll": MINOR}


@dataclass(frozen=True, order=True)
class Key:
    """A tonic (0..11, C = 0) and a mode (1 major, 0 minor), as the MSD stores them."""

    tonic: int
    mode: int

    def __post_init__(self) -> None:
        if not (isinstance(self.tonic, int) and 0 <= self.tonic < 12):
            raise ValueError(f"tonic must be an integer 0..11, got {self.tonic!r}")
        if self.mode not in (MAJOR, MINOR):
            raise ValueError(f"mode must be 1 (major) or 0 (minor), got {self.mode!r}")

    # -- constructors -------------------------------------------------------
    @classmethod
    def from_index(cls, index: int) -> "Key":
        """The key of a class index ``2 * key + mode``."""
        index = int(index)
        if not 0 <= index < N_CLASSES:
            raise ValueError(f"class index must be 0..23, got {index}")
        return cls(index // 2, index % 2)

    @classmethod
    def from_folder(cls, folder: str) -> "Key":
        """The key of a seed folder name such as ``"7-1"`` (G major)."""
        try:
            tonic, mode = (int(part) for part in str(folder).split("-"))
        except ValueError:
            raise ValueError(f"folder name must look like '7-1' (key-mode), got {folder!r}") from None
        return cls(tonic, mode)

    @classmethod
    def parse(cls, text: str) -> "Key":
        """Read a key written by a person: "F# minor", "Gb", "f#m", "A min", "Bb major", or a Camelot
        ("8B") or Open Key ("1d") code, as DJ software writes into tags.

        A bare tonic means major, except that a lower-case letter with a
        trailing ``m`` ("am", "f#m") means minor as in chord symbols.
        """
        if _CAMELOT_RE.fullmatch(str(text)):
            return cls.from_camelot(text)
        if _OPEN_KEY_RE.fullmatch(str(text)):
            return cls.from_open_key(text)
        match = _KEY_RE.match(str(text).replace("\t", " "))
        if not match:
            raise ValueError(f"cannot read {text!r} as a key; write it like 'F# minor', 'Bb major', 'Am', "
                             "'8B' (Camelot) or '1d' (Open Key)")
        tonic = _LETTERS[match["letter"].upper()]
        accidental = (match["accidental"] or "").lower()
        if accidental in ("#", "♯") or accidental.endswith("sharp"):
            tonic += 1
        elif accidental in ("b", "♭", "-") or accidental.endswith("flat"):
            tonic -= 1
        mode_word = match["mode"]
        if mode_word is None:
            mode = MAJOR
        elif mode_word in ("M", "m"):
            mode = _MODE_WORDS[mode_word]
        else:
            mode = _MODE_WORDS[mode_word.lower()]
        return cls(tonic % 12, mode)

    # -- names --------------------------------------------------------------
    @property
    def index(self) -> int:
        """The seed's class index, ``2 * key + mode``."""
        return 2 * self.tonic + self.mode

    @property
    def folder(self) -> str:
        """The seed's folder name, ``"key-mode"``."""
        return f"{self.tonic}-{self.mode}"

    @property
    def tonic_name(self) -> str:
        return _PREFERRED[self.mode][self.tonic]

    @property
    def mode_name(self) -> str:
        return MODE_NAMES[self.mode]

    @property
    def name(self) -> str:
        """Conventional spelling, e.g. "F# minor", "Bb major"."""
        return f"{self.tonic_name} {self.mode_name}"

    @property
    def sharp_name(self) -> str:
        return f"{SHARP_NAMES[self.tonic]} {self.mode_name}"

    @property
    def flat_name(self) -> str:
        return f"{FLAT_NAMES[self.tonic]} {self.mode_name}"

    @property
    def mir_eval_name(self) -> str:
        """The spelling :mod:`mir_eval.key` accepts, e.g. "F# minor"."""
        return self.sharp_name

    @property
    def camelot(self) -> str:
        """Camelot wheel code: 8B = C major, 5A = C minor; neighbours are a fifth apart."""
        major_tonic = self.tonic if self.mode == MAJOR else (self.tonic + 3) % 12
        number = (major_tonic * 7 + 7) % 12 + 1  # C major -> 8, G major -> 9, F major -> 7
        return f"{number}{'B' if self.mode == MAJOR else 'A'}"

    @classmethod
    def from_camelot(cls, code: str) -> "Key":
        match = _CAMELOT_RE.fullmatch(str(code))
        if not match:
            raise ValueError(f"Camelot codes run 1A..12B, got {code!r}")
        number, letter = int(match[1]), match[2].upper()
        major_tonic = ((number - 8) * 7) % 12
        if letter == "B":
            return cls(major_tonic, MAJOR)
        return cls((major_tonic - 3) % 12, MINOR)

    @property
    def open_key(self) -> str:
        """Open Key code (Traktor): 1d = C major, 1m = A minor; the number is Camelot's moved by 5."""
        number = (int(self.camelot[:-1]) - 8) % 12 + 1
        return f"{number}{'d' if self.mode == MAJOR else 'm'}"

    @classmethod
    def from_open_key(cls, code: str) -> "Key":
        match = _OPEN_KEY_RE.fullmatch(str(code))
        if not match:
            raise ValueError(f"Open Key codes run 1d..12m, got {code!r}")
        return cls.from_camelot(f"{(int(match[1]) + 6) % 12 + 1}{'B' if match[2].lower() == 'd' else 'A'}")

    def spelled(self, accidentals: str = "preferred") -> str:
        """The name with the tonic spelled as musicians expect ("preferred"), or with sharps or flats only."""
        if accidentals not in ACCIDENTALS:
            raise ValueError(f"accidentals must be one of {', '.join(ACCIDENTALS)}, got {accidentals!r}")
        return {"preferred": self.name, "sharps": self.sharp_name, "flats": self.flat_name}[accidentals]

    def notation(self, style: str = "standard", accidentals: str = "preferred") -> str:
        """The key in one of :data:`NOTATIONS`: "F# minor" (standard), "11A" (camelot) or "4m" (openkey)."""
        if style == "camelot":
            return self.camelot
        if style == "openkey":
            return self.open_key
        if style != "standard":
            raise ValueError(f"notation must be one of {', '.join(NOTATIONS)}, got {style!r}")
        return self.spelled(accidentals)

    # -- relations ----------------------------------------------------------
    @property
    def relative(self) -> "Key":
        """A minor <-> C major: same notes, other mode."""
        if self.mode == MAJOR:
            return Key((self.tonic - 3) % 12, MINOR)
        return Key((self.tonic + 3) % 12, MAJOR)

    @property
    def parallel(self) -> "Key":
        """C major <-> C minor: same tonic, other mode."""
        return Key(self.tonic, 1 - self.mode)

    @property
    def dominant(self) -> "Key":
        """The key a perfect fifth above, same mode."""
        return Key((self.tonic + 7) % 12, self.mode)

    @property
    def subdominant(self) -> "Key":
        """The key a perfect fourth above (a fifth below), same mode."""
        return Key((self.tonic + 5) % 12, self.mode)

    def transpose(self, semitones: int) -> "Key":
        return Key((self.tonic + int(semitones)) % 12, self.mode)

    def relation_to(self, reference: "Key") -> str:
        """How this estimate relates to a reference key, in MIREX terms.

        One of "correct", "fifth", "relative", "parallel", "other".
        """
        return RELATION_OF_SCORE[mirex_score(reference, self)]

    def __str__(self) -> str:
        return self.name


ALL_KEYS: tuple[Key, ...] = tuple(Key.from_index(i) for i in range(N_CLASSES))
CLASS_NAMES: tuple[str, ...] = tuple(k.name for k in ALL_KEYS)
MIREX_WEIGHTS = {"correct": 1.0, "fifth": 0.5, "relative": 0.3, "parallel": 0.2, "other": 0.0}
RELATION_OF_SCORE = {weight: name for name, weight in MIREX_WEIGHTS.items()}


def circle_of_fifths_order() -> list[Key]:
    """All 24 keys in Camelot order: 1B, 1A, 2B, 2A ... (each major beside its relative minor)."""
    return sorted(ALL_KEYS, key=lambda k: (int(k.camelot[:-1]), k.camelot[-1] == "A"))


MIX_RELATIONS = ("same key", "relative", "+1 on the wheel", "-1 on the wheel",
                 "energy boost +1 semitone", "energy boost -1 semitone")


def compatible_keys(key: "Key | str | int", energy_boost: bool = False) -> list[tuple[Key, str]]:
    """The keys that mix harmonically with ``key``, closest first, each with its relation: the same key,
    its relative (same Camelot number), one step either way on the wheel (a fifth up or down), and with
    ``energy_boost`` the same mode one semitone up or down."""
    key = as_key(key)
    found = [(key, MIX_RELATIONS[0]), (key.relative, MIX_RELATIONS[1]), (key.dominant, MIX_RELATIONS[2]),
             (key.subdominant, MIX_RELATIONS[3])]
    if energy_boost:
        found += [(key.transpose(1), MIX_RELATIONS[4]), (key.transpose(-1), MIX_RELATIONS[5])]
    return found


def wheel_steps(a: "Key | str | int", b: "Key | str | int") -> int:
    """Distance of two keys on the Camelot wheel: steps around it (0..6) plus one to change ring (A/B)."""
    a, b = as_key(a).camelot, as_key(b).camelot
    around = abs(int(a[:-1]) - int(b[:-1])) % 12
    return min(around, 12 - around) + (a[-1] != b[-1])


def as_key(value: "Key | str | int") -> Key:
    """Accept a Key, a class index or a written key name."""
    if isinstance(value, Key):
        return value
    if isinstance(value, (int,)) or (hasattr(value, "__index__") and not isinstance(value, str)):
        return Key.from_index(int(value))
    return Key.parse(value)


def mirex_score(reference: "Key | str | int", estimate: "Key | str | int") -> float:
    """MIREX weighted score of one estimate, by :func:`mir_eval.key.weighted_score` (imported here: mir_eval
    brings scipy.stats, 1.7 s, which reading a catalog or parsing the command line does not need)."""
    import mir_eval.key

    return float(mir_eval.key.weighted_score(as_key(reference).mir_eval_name, as_key(estimate).mir_eval_name))
