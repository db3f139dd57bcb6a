"""Key of a whole song in bounded time and memory: windows, global probabilities, key over time.

The song is read window by window (:func:`core.audio.decode.iter_windows`), never decoded whole; each
window becomes the estimator's features as it is read, and all windows then go through the model
together (:func:`windows_proba`). A window's 24-class probabilities are the mean over its feature
rows (excerpts), the song's the mean over its windows. Long songs
are analysed with at most ``max_windows`` windows spread evenly over the whole length.
Each window's tuning (:func:`core.audio.features.audio_tuning`) is kept too, and where the windows of the
first and second part of a song agree on two different keys, :meth:`Prediction.key_change` names the
modulation ("C major → C# minor at 2:31").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from core.audio.decode import (
    AUDIO_SUFFIXES,
    SILENCE_PEAK,
    AudioError,
    Source,
    audible_s,
    check_enough_audio,
    check_file,
    check_format,
    duration_s,
    iter_windows,
)
from core.audio.features import audio_tuning
from core.keys import Key, compatible_keys

CHANGE_AGREEMENT = 0.75  # share of a part's windows that must name its key for a key change
CHANGE_MIN_WINDOWS = 2   # windows each part needs
WINDOW_S = 20.0
HOP_S = 20.0  # windows side by side: every second of audio is decoded and analysed once
MAX_WINDOWS = 24
MIN_WINDOW_S = 1.0


@dataclass
class Prediction:
    """A song's key: global probabilities plus one probability row per analysed window."""

    file: str
    model: str
    proba: np.ndarray                      # (24,) sums to 1
    starts: list[float] = field(default_factory=list)
    window_proba: np.ndarray | None = None  # (n_windows, 24)
    window_s: float = WINDOW_S
    duration_s: float = 0.0
    note: str = ""
    tuning_cents: float = 0.0               # deviation from A = 440 Hz, -50..50

    @property
    def key(self) -> Key:
        return Key.from_index(int(np.argmax(self.proba)))

    @property
    def confidence(self) -> float:
        return float(np.max(self.proba))

    def top(self, n: int = 3) -> list[tuple[Key, float]]:
        order = np.argsort(self.proba)[::-1][:n]
        return [(Key.from_index(int(i)), float(self.proba[i])) for i in order]

    def timeline(self) -> list[dict]:
        """Per window: start, end, best key and its probability."""
        rows = []
        for start, row in zip(self.starts, self.window_proba if self.window_proba is not None else []):
            best = Key.from_index(int(np.argmax(row)))
            rows.append({"start_s": round(start, 2), "end_s": round(min(start + self.window_s, self.duration_s), 2),
                         "key": best.name, "class_index": best.index, "confidence": round(float(row.max()), 4)})
        return rows

    def key_change(self) -> dict | None:
        """The modulation where the windows before and after one point agree on two different keys, else None:
        ``{"from", "to", "at_s", "text"}``. Each part needs :data:`CHANGE_MIN_WINDOWS` windows of which
        :data:`CHANGE_AGREEMENT` name its key; the split where most windows agree wins."""
        if self.window_proba is None or len(self.window_proba) < 2 * CHANGE_MIN_WINDOWS:
            return None
        best_index = np.argmax(self.window_proba, axis=1)
        found, best_agree = None, -1
        for split in range(CHANGE_MIN_WINDOWS, len(best_index) - CHANGE_MIN_WINDOWS + 1):
            parts = (self.window_proba[:split], self.window_proba[split:])
            keys = [int(np.argmax(part.mean(axis=0))) for part in parts]
            agree = [np.mean(best_index[:split] == keys[0]), np.mean(best_index[split:] == keys[1])]
            if keys[0] != keys[1] and min(agree) >= CHANGE_AGREEMENT and sum(agree) > best_agree:
                found, best_agree = (keys, self.starts[split]), sum(agree)
        if found is None:
            return None
        (before, after), at = found
        before, after = Key.from_index(before), Key.from_index(after)
        return {"from": before.name, "to": after.name, "at_s": round(at, 2), "text": describe_change(before, after, at)}

    def to_dict(self) -> dict:
        key = self.key
        return {
            "file": self.file, "model": self.model,
            "key": key.name, "tonic": key.tonic_name, "mode": key.mode_name,
            "msd_key": key.tonic, "msd_mode": key.mode, "class_index": key.index,
            "confidence": round(self.confidence, 4), "camelot": key.camelot,
            "relative_key": key.relative.name, "open_key": key.open_key,
            "compatible": [{"key": k.name, "camelot": k.camelot, "open_key": k.open_key, "relation": relation}
                           for k, relation in compatible_keys(key)[1:]],
            "tuning_cents": round(self.tuning_cents, 1), "key_change": self.key_change(),
            "top3": [{"key": k.name, "probability": round(p, 4)} for k, p in self.top(3)],
            "probabilities": {Key.from_index(i).name: round(float(p), 5) for i, p in enumerate(self.proba)},
            "duration_s": round(self.duration_s, 2), "windows": len(self.starts),
            "analysed_s": round(sum(min(self.window_s, self.duration_s - s) for s in self.starts), 2),
            "note": self.note, "timeline": self.timeline(),
        }


def describe_change(before: Key, after: Key, at_s: float, accidentals: str = "preferred") -> str:
    """ "C major → C# minor at 2:31": a key change in words, tonics spelled as ``accidentals`` asks."""
    return f"{before.spelled(accidentals)} → {after.spelled(accidentals)} at {int(at_s // 60)}:{int(at_s % 60):02d}"


def expand_folders(paths: list[str]) -> list[str]:
    """``paths`` with every folder replaced by the audio files under it (recursive, sorted; symlinked folders
    not followed); files are kept as given, so a bad one still gets its own message."""
    from core.audio.walk import LIBRARY_MAX_ENTRIES, LIBRARY_MAX_SECONDS, find_files

    out = []
    for path in paths:
        if Path(path).is_dir():
            out += [str(p) for p in find_files(path, AUDIO_SUFFIXES, max_entries=LIBRARY_MAX_ENTRIES,
                                                  max_seconds=LIBRARY_MAX_SECONDS)]
        else:
            out.append(path)
    return out


def plan_hop(duration: float, window_s: float, hop_s: float, max_windows: int) -> float:
    """The hop that covers ``duration`` with at most ``max_windows`` windows (never below ``hop_s``)."""
    if duration <= window_s or max_windows <= 1:
        return hop_s
    return max(hop_s, (duration - window_s) / (max_windows - 1))


def windows_proba(features: list[np.ndarray], estimator) -> np.ndarray:
    """(n_windows, 24): each window's features (``estimator.features`` of its audio) through the model in
    one call per feature shape (one call for all full windows), averaged over each window's rows."""
    rows: list[np.ndarray | None] = [None] * len(features)
    groups: dict[tuple, list[int]] = {}
    for i, f in enumerate(features):
        groups.setdefault(f.shape[1:], []).append(i)
    for members in groups.values():
        proba = np.asarray(estimator.predict_proba(np.concatenate([features[i] for i in members])), dtype=np.float64)
        bounds = np.cumsum([0] + [len(features[i]) for i in members])
        for i, start, end in zip(members, bounds[:-1], bounds[1:]):
            rows[i] = proba[start:end].mean(axis=0)
    return np.vstack(rows)


def predict_song(source: Source, estimator, name: str | None = None, window_s: float = WINDOW_S,
                 hop_s: float = HOP_S, max_windows: int = MAX_WINDOWS,
                 progress: Callable[[int, int], None] | None = None) -> Prediction:
    """Predict the key of one song with ``estimator`` (a :class:`core.estimate.estimators.KeyEstimator`: ``settings``, ``features(y)``, ``predict_proba``).

    Raises :class:`AudioError` with the file name for unusable input (unsupported, empty,
    not audio, silent).
    """
    name = name or (str(source) if isinstance(source, (str, Path)) else getattr(source, "name", "<audio>"))
    if isinstance(source, (str, Path)):
        check_file(source)
    check_format(name)
    if isinstance(source, (bytes, bytearray)) and not source:
        raise AudioError(f"{name}: file is empty (0 bytes)")
    if isinstance(source, (bytes, bytearray)):
        import io
        source = io.BytesIO(source)
    if window_s <= 0 or hop_s <= 0 or max_windows < 1:
        raise ValueError("window_s and hop_s must be positive and max_windows at least 1")
    try:
        total = duration_s(source)
    except AudioError as err:
        raise AudioError(str(err).replace("<audio bytes>", name)) from None
    if hasattr(source, "seek"):
        source.seek(0)
    hop = plan_hop(total, window_s, hop_s, max_windows)
    expected = min(max_windows, 1 + max(0, int(np.ceil((total - window_s) / hop))))
    sr = estimator.settings.sample_rate
    starts, rows, audible, heard_to, tunings = [], [], 0.0, 0.0, []
    try:
        for start, y in iter_windows(source, window_s, hop, sr=sr):
            if len(starts) >= max_windows and rows:
                break
            if progress:
                progress(len(starts) + 1, expected)
            starts.append(start)
            audible += audible_s(y[int(max(0.0, heard_to - start) * sr):], sr)  # overlaps counted once
            heard_to = start + y.size / sr
            if y.size < MIN_WINDOW_S * estimator.settings.sample_rate and rows:
                starts.pop()
                continue
            if float(np.max(np.abs(y), initial=0.0)) < SILENCE_PEAK:
                starts.pop()
                continue
            rows.append(estimator.features(y))
            tunings.append((audio_tuning(y, sr), float(np.square(y).sum())))
    except AudioError as err:
        raise AudioError(str(err).replace("<audio bytes>", name)) from None
    except Exception as err:  # noqa: BLE001 - decoder failures mid-file
        raise AudioError(f"{name}: cannot decode audio: {err}") from None
    if not rows:
        raise AudioError(f"{name}: audio is silent (no window above the silence threshold)")
    check_enough_audio(audible, name)
    per_window = windows_proba(rows, estimator)
    proba = per_window.mean(axis=0)
    proba = proba / proba.sum()
    note = ""
    if hop > hop_s:
        note = (f"long file ({total / 60:.1f} min): analysed {len(starts)} windows of {window_s:g} s "
                f"spread every {hop:.1f} s")
    turns = sum(weight * np.exp(2j * np.pi * tuning) for tuning, weight in tunings)  # circular mean, by energy
    return Prediction(file=name, model=getattr(estimator, "name", "model"), proba=proba, starts=starts,
                      window_proba=per_window, window_s=window_s, duration_s=total, note=note,
                      tuning_cents=float(100 * np.angle(turns) / (2 * np.pi)))


def csv_rows(results: list[dict]) -> list[dict]:
    """Flat rows (no timeline/probability maps) for CSV output; error entries keep their message."""
    flat = []
    for r in results:
        row = {k: v for k, v in r.items() if k not in ("timeline", "probabilities", "top3")}
        for i, item in enumerate(r.get("top3", []), 1):
            row[f"top{i}"] = item["key"]
            row[f"top{i}_probability"] = item["probability"]
        flat.append(row)
    return flat

