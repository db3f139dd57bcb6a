"""Folk tunes with published keys from music21's bundled ABC collections.

Each ABC tune states its key in its ``K:`` field; only major and minor tunes
are kept (modal ``K:`` fields such as ``Dmix`` or ``Ador`` are dropped). The
notes come from music21's ABC parser; how clearly the notes state the
labelled key comes from music21's Krumhansl-Schmuckler analysis.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.keys import MAJOR, Key

# Collection folder in music21's corpus -> (release name, publication year or 0 when unknown).
COLLECTIONS = {
    "nottingham-dataset": ("Nottingham Music Database", 0),
    "oneills1850": ("O'Neill's Music of Ireland (1850 Melodies)", 1903),
    "ryansMammoth": ("Ryan's Mammoth Collection", 1883),
}
_KEY_FIELD = re.compile(r"^K:\s*([A-Ga-g][#b]?)\s*(m|min|minor|maj|major)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class TuneText:
    """One tune's ABC text and what its header says, before any parsing."""

    song_id: str
    title: str
    collection: str
    year: int
    key: Key
    abc: str


@dataclass(frozen=True)
class Tune:
    """A parsed tune: notes as (start, length, midi pitch) in quarter notes, and key clarity."""

    text: TuneText
    notes: tuple[tuple[float, float, int], ...]
    length: float
    key_confidence: float
    mode_confidence: float


def corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def _split_abc(text: str) -> list[str]:
    """The tunes of an ABC file: each starts at an ``X:`` line."""
    tunes, current = [], []
    for line in text.splitlines():
        if line.startswith("X:") and current:
            tunes.append("\n".join(current))
            current = []
        if line.startswith("X:") or current:
            current.append(line)
    if current:
        tunes.append("\n".join(current))
    return tunes


def _header(abc: str, field: str) -> str | None:
    for line in abc.splitlines():
        if line.startswith(f"{field}:"):
            return line[2:].strip()
    return None


def _key_of(abc: str) -> Key | None:
    """The major or minor key in the first ``K:`` field; None for modal or missing keys."""
    field = next((line for line in abc.splitlines() if line.startswith("K:")), None)
    match = _KEY_FIELD.match(field.strip()) if field else None
    if not match:
        return None
    tonic, mode = match[1], (match[2] or "").lower()
    return Key.parse(f"{tonic[0].upper()}{tonic[1:]} {'minor' if mode in ('m', 'min', 'minor') else 'major'}")


def list_tunes() -> list[TuneText]:
    """Every major/minor tune in :data:`COLLECTIONS`, in a fixed order."""
    found = []
    root = corpus_root()
    for folder, (release, year) in COLLECTIONS.items():
        for path in sorted((root / folder).glob("*.abc")):
            for abc in _split_abc(path.read_text(encoding="utf-8", errors="replace")):
                key = _key_of(abc)
                title = _header(abc, "T")
                if key is None or not title:
                    continue
                digest = hashlib.sha1(f"{folder}/{path.name}/{title}".encode()).hexdigest().upper()
                found.append(TuneText(f"SO{digest[:16]}", title, release, year, key, abc))
    return found


def parse_tune(text: TuneText) -> Tune | None:
    """Notes and key clarity of one tune; None when music21 cannot read it or it has no notes."""
    import music21

    try:
        score = music21.converter.parse(text.abc, format="abc")
        flat = score.flatten()
        notes = []
        for element in flat.notes:
            if element.duration.quarterLength <= 0:
                continue
            for pitch in element.pitches:
                notes.append((float(element.offset), float(element.duration.quarterLength), int(pitch.midi)))
        if len(notes) < 8:
            return None
        analysis = score.analyze("key")
    except Exception:  # noqa: BLE001 - a malformed tune in a third-party collection is skipped
        return None
    key_confidence, mode_confidence = key_clarity(analysis, text.key)
    length = max(start + dur for start, dur, _ in notes)
    return Tune(text, tuple(notes), length, key_confidence, mode_confidence)


def key_clarity(analysis, label: Key) -> tuple[float, float]:
    """Confidences in 0..1 from a music21 key analysis, for the labelled key.

    key_confidence: the Krumhansl-Schmuckler correlation r of the labelled key,
    rescaled as (r - 0.4) / 0.55 (r = 0.81 gives 0.75, the Dataset page's default).
    mode_confidence: 0.5 + 1.5 * (r(label) - r(relative key)): how much better the
    labelled mode fits than the other mode with the same notes.
    """
    correlations = {}
    for candidate in [analysis, *analysis.alternateInterpretations]:
        key = Key(candidate.tonic.pitchClass, MAJOR if candidate.mode == "major" else 0)
        correlations[key] = float(candidate.correlationCoefficient)
    r_label = correlations.get(label, 0.0)
    r_relative = correlations.get(label.relative, 0.0)
    key_confidence = float(np.clip((r_label - 0.4) / 0.55, 0.0, 1.0))
    mode_confidence = float(np.clip(0.5 + 1.5 * (r_label - r_relative), 0.0, 1.0))
    return round(key_confidence, 3), round(mode_confidence, 3)
