"""Harmonic mixing over library rows: what mixes with a track, a path through a set, M3U and table exports."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from core.keys import Key, compatible_keys, wheel_steps

LOW_CONFIDENCE = 0.35  # below this a track's key is marked as uncertain


def analysed(rows: list[dict]) -> list[dict]:
    """The rows that have a key (no error)."""
    return [r for r in rows if r.get("class_index") is not None and not r.get("error")]


def find_track(rows: list[dict], text: str) -> dict:
    """The one row whose path is ``text``, ends with it, or (failing both) contains it; ``LookupError`` naming
    the problem when none or several match."""
    for test in (lambda p: p == text or p == str(Path(text).expanduser().resolve()),
                 lambda p: p.endswith(text), lambda p: text.lower() in p.lower()):
        found = [r for r in rows if test(r["path"])]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            shown = ", ".join(Path(r["path"]).name for r in found[:5])
            raise LookupError(f"{text!r} matches {len(found)} tracks ({shown}{', ...' if len(found) > 5 else ''}); "
                              "give more of the path")
    raise LookupError(f"no track in the library matches {text!r}")


def compatible_tracks(rows: list[dict], key: Key, energy_boost: bool = False, exclude: str | None = None) -> list[dict]:
    """Rows in keys that mix with ``key`` (:func:`core.keys.compatible_keys`), closest relation first, then the
    most confident; each gets ``relation``. ``exclude`` leaves out one path (the track itself)."""
    relations = compatible_keys(key, energy_boost)
    rank = {k.index: (i, relation) for i, (k, relation) in enumerate(relations)}
    found = [{**r, "relation": rank[r["class_index"]][1]} for r in analysed(rows)
             if r["class_index"] in rank and r["path"] != exclude]
    return sorted(found, key=lambda r: (rank[r["class_index"]][0], -r["confidence"], r["path"]))


def harmonic_path(rows: list[dict]) -> list[dict]:
    """The analysed rows in a playing order where each step moves as little as possible on the Camelot wheel:
    greedy nearest neighbour from the first row given (ties go to the more confident track)."""
    left = analysed(rows)
    if not left:
        return []
    order = [left.pop(0)]
    while left:
        here = Key.from_index(order[-1]["class_index"])
        nearest = min(left, key=lambda r: (wheel_steps(here, Key.from_index(r["class_index"])), -r["confidence"]))
        left.remove(nearest)
        order.append(nearest)
    return order


def m3u(rows: list[dict], notation: str = "camelot") -> str:
    """An extended M3U playlist of ``rows`` in order; each entry's title carries its key."""
    lines = ["#EXTM3U"]
    for r in rows:
        key = Key.from_index(r["class_index"]).notation(notation) if r.get("class_index") is not None else "?"
        lines += [f"#EXTINF:{round(r.get('duration_s') or -1)},{key} - {Path(r['path']).stem}", r["path"]]
    return "\n".join(lines) + "\n"


def table(rows: list[dict], notation: str = "standard", accidentals: str = "preferred",
          root: str | Path | None = None) -> pd.DataFrame:
    """A display frame: one line per file, the key in ``notation``, paths relative to ``root`` when given
    (so no server path need be shown), ``uncertain`` for keys under :data:`LOW_CONFIDENCE`."""
    def shown(path: str) -> str:
        if root is not None and Path(path).is_relative_to(root):
            return str(Path(path).relative_to(root))
        return path

    records = []
    for r in rows:
        error = r.get("error")
        key = Key.from_index(r["class_index"]) if r.get("class_index") is not None else None
        records.append({
            "track": shown(r["path"]), "key": key.notation(notation, accidentals) if key else None,
            "camelot": key.camelot if key else None, "open_key": key.open_key if key else None,
            "confidence": r.get("confidence"), "uncertain": bool(key) and (r.get("confidence") or 0) < LOW_CONFIDENCE,
            "tuning_cents": r.get("tuning_cents"), "duration_s": r.get("duration_s"),
            "key_change": r.get("key_change"),
            "error": error.replace(f"{root}{os.sep}", "") if error and root is not None else error})
    return pd.DataFrame.from_records(records, columns=["track", "key", "camelot", "open_key", "confidence", "uncertain",
                                                       "tuning_cents", "duration_s", "key_change", "error"])


def wheel_counts(rows: list[dict]) -> dict[str, int]:
    """Tracks per Camelot code (only codes that hold any)."""
    counts: dict[str, int] = {}
    for r in analysed(rows):
        code = Key.from_index(r["class_index"]).camelot
        counts[code] = counts.get(code, 0) + 1
    return counts
