"""Selecting tracks from a catalog and summarising a selection for charts.

Charts get aggregates (24 class counts, binned confidences), never raw rows,
so a million-row catalog charts as fast as a small one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from core.keys import ALL_KEYS

DEFAULT_MIN_CONFIDENCE = 0.75  # the seed's songs_conf=75 selection: both confidences above 0.75


@dataclass(frozen=True)
class Selection:
    """What to keep from a catalog; ``None`` means no constraint.

    The confidence bounds are strict, as the seed's filter: a track is kept when its
    confidence is *above* the bound (0.750 is left out at 0.75).
    """

    min_key_confidence: float = DEFAULT_MIN_CONFIDENCE  # keep key_confidence > this
    min_mode_confidence: float = DEFAULT_MIN_CONFIDENCE  # keep mode_confidence > this
    keys: Sequence[int] | None = None  # MSD key numbers 0..11
    modes: Sequence[int] | None = None  # 1 major, 0 minor
    years: tuple[int, int] | None = None  # inclusive; tracks with year 0 (unknown) are kept
    text: str | None = None  # case-insensitive, in artist or title
    audio_only: bool = False  # keep tracks with audio (needs the has_audio column of attach_audio)

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        keep = (frame["key_confidence"] > self.min_key_confidence) & (
            frame["mode_confidence"] > self.min_mode_confidence
        )
        if self.keys:
            keep &= frame["key"].isin(list(self.keys))
        if self.modes:
            keep &= frame["mode"].isin(list(self.modes))
        if self.years is not None:
            lo, hi = self.years
            keep &= frame["year"].between(lo, hi) | (frame["year"] == 0)
        if self.text and self.text.strip():
            needle = self.text.strip()
            keep &= frame["artist_name"].str.contains(needle, case=False, regex=False, na=False) | frame[
                "title"
            ].str.contains(needle, case=False, regex=False, na=False)
        if self.audio_only and "has_audio" in frame:
            keep &= frame["has_audio"]
        return keep


def select(frame: pd.DataFrame, selection: Selection = Selection()) -> pd.DataFrame:
    """The rows of ``frame`` that ``selection`` keeps."""
    return frame.loc[selection.mask(frame)]


@dataclass(frozen=True)
class Summary:
    """A selection as the Dataset page shows it, without a copy of its rows."""

    rows: np.ndarray  # positions of the selected rows in the catalog
    counts: pd.DataFrame  # class_counts of the selection
    histogram: pd.DataFrame  # confidence_histogram of the selection
    with_audio: int | None  # selected tracks with audio; None when the catalog has no audio columns


def summarize(frame: pd.DataFrame, selection: Selection = Selection()) -> Summary:
    """Which rows ``selection`` keeps, with their counts and confidence histogram; only the
    columns the charts need are gathered."""
    rows = np.flatnonzero(selection.mask(frame).to_numpy())
    picked = frame[["class_index", "key_confidence", "mode_confidence"]].take(rows)
    with_audio = int(frame["has_audio"].to_numpy()[rows].sum()) if "has_audio" in frame else None
    return Summary(rows, class_counts(picked), confidence_histogram(picked), with_audio)


def class_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Tracks per key-mode class: 24 rows (class_index, key_name, key, mode, mode_name, count)."""
    counts = np.bincount(frame["class_index"].to_numpy(dtype=np.int64), minlength=len(ALL_KEYS))
    return pd.DataFrame({
        "class_index": [k.index for k in ALL_KEYS],
        "key_name": [k.name for k in ALL_KEYS],
        "key": [k.tonic for k in ALL_KEYS],
        "mode": [k.mode for k in ALL_KEYS],
        "mode_name": [k.mode_name for k in ALL_KEYS],
        "count": counts,
    })


def confidence_histogram(frame: pd.DataFrame, bins: int = 20) -> pd.DataFrame:
    """Binned key and mode confidences: one row per bin and field (field, bin_start, bin_end, count)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for field in ("key_confidence", "mode_confidence"):
        counts, _ = np.histogram(frame[field].to_numpy(dtype=float), bins=edges)
        rows.append(pd.DataFrame({"field": field, "bin_start": edges[:-1], "bin_end": edges[1:], "count": counts}))
    return pd.concat(rows, ignore_index=True)


def year_bounds(frame: pd.DataFrame) -> tuple[int, int]:
    """The earliest and latest known year (0 means unknown in the MSD)."""
    known = frame.loc[frame["year"] > 0, "year"]
    if known.empty:
        return (1900, 2030)
    return int(known.min()), int(known.max())
