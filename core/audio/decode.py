"""Decode audio (wav, flac, ogg, mp3) to mono float32 with one clear error type.

Reads only the requested excerpt (soundfile seeks), so long files stay in bounded memory;
:func:`iter_windows` walks a whole song window by window.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from core.errors import KeyscopeError

DEFAULT_SR = 22050
SILENCE_PEAK = 1e-6
DECODER_NOISE = re.compile(r"^(Note|Warning|Error): |^\[[\w/.]+:\d+\]")  # mpg123's notes on bad mp3 data
MIN_AUDIO_S = 2.0  # the least non-silent audio a key is named from: shorter holds too few notes

Source = str | Path | bytes | BinaryIO


FORMATS = ("wav", "mp3", "flac", "ogg", "opus", "aiff", "aif")  # what libsndfile decodes
NEEDS_FFMPEG = ("m4a", "aac", "mp4", "alac")  # containers libsndfile does not read
AUDIO_SUFFIXES = tuple(f".{name}" for name in FORMATS + NEEDS_FFMPEG)  # what folder walks pick up

class AudioError(KeyscopeError, ValueError):
    """Audio that cannot be used: unreadable, empty, silent, not audio, or unsupported."""


def _name(source: Source) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<audio bytes>"


def check_file(path: str | Path) -> None:
    """Raise AudioError naming ``path`` when it is a folder, missing or empty."""
    path = Path(path)
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if not path.is_file():
        raise AudioError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: file is empty (0 bytes)")


def _detail(err: Exception) -> str:
    """libsndfile's reason without its "Error opening <file object at 0x...>" prefix."""
    return str(getattr(err, "error_string", "") or err).strip().rstrip(".")


def _open(source: Source):
    import soundfile as sf

    from core.runtime.quiet import filtered_stderr

    name = _name(source)
    if isinstance(source, (str, Path)):
        check_file(source)
    elif isinstance(source, (bytes, bytearray)):
        if not source:
            raise AudioError(f"{name}: empty (0 bytes)")
        source = io.BytesIO(source)
    try:
        with filtered_stderr(DECODER_NOISE):
            return sf.SoundFile(source)
    except Exception as err:  # noqa: BLE001 - libsndfile reports many kinds of failure
        suffix = Path(name).suffix.lower().lstrip(".")
        detail = _detail(err)
        detail = "" if "does not exist" in detail else detail  # libsndfile's words for content it cannot parse
        if suffix in ("wav", "flac", "ogg", "mp3", "aiff", "aif"):
            message = f"{name}: not a readable {suffix} file" + (f" ({detail})" if detail else "")
        else:
            message = f"{name}: not a readable audio file (wav, flac, ogg, mp3, aiff)" + (f": {detail}" if detail else "")
        raise AudioError(message) from None


def _to_mono(block: np.ndarray, native_sr: int, sr: int) -> np.ndarray:
    # the channels' mean as one matrix-vector product: block.mean(axis=1) over a (frames, 2) block takes about
    # 35 times as long (a reduction per frame), 15 % of a stereo song's whole analysis
    y = block @ np.full(block.shape[1], 1.0 / block.shape[1], dtype=np.float32) if block.ndim == 2 else block
    y = y.astype(np.float32, copy=False)
    if native_sr != sr and y.size:
        y = resample(y, native_sr, sr)
    return y


def resample(y: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """``librosa.resample(y, orig_sr=..., target_sr=...)`` (soxr "HQ", length ``ceil(n * ratio)``), calling soxr
    directly: importing librosa costs seconds, soxr milliseconds."""
    import soxr

    n = int(np.ceil(y.size * float(target_sr) / orig_sr))
    y_hat = soxr.resample(np.asarray(y, dtype=np.float32), orig_sr, target_sr, quality="soxr_hq")[:n]
    return np.pad(y_hat, (0, n - y_hat.size)).astype(np.float32, copy=False)


def load_audio(source: Source, sr: int = DEFAULT_SR, offset: float = 0.0,
               duration: float | None = None) -> np.ndarray:
    """Mono float32 samples at ``sr`` from a path, bytes or file-like; only the excerpt is read."""
    name = _name(source)
    with _open(source) as f:
        start = int(round(offset * f.samplerate))
        if start >= f.frames > 0 or f.frames == 0:
            raise AudioError(f"{name}: no audio samples at offset {offset:g} s")
        f.seek(start)
        frames = -1 if duration is None else int(round(duration * f.samplerate))
        try:
            block = f.read(frames, dtype="float32", always_2d=True)
        except Exception as err:  # noqa: BLE001
            raise AudioError(f"{name}: cannot decode audio: {_detail(err)}") from None
        y = _to_mono(block, f.samplerate, sr)
    if y.size == 0:
        raise AudioError(f"{name}: no audio samples")
    if float(np.max(np.abs(y))) < SILENCE_PEAK:
        raise AudioError(f"{name}: audio is silent")
    return y


def audible_s(y: np.ndarray, sr: int) -> float:
    """Seconds of ``y`` in 0.1 s frames whose peak reaches :data:`SILENCE_PEAK` (the non-silent audio)."""
    y = np.abs(np.asarray(y, dtype=np.float32))
    if y.size == 0:
        return 0.0
    starts = np.arange(0, y.size, max(1, sr // 10))
    lengths = np.diff(np.append(starts, y.size))
    return float(lengths[np.maximum.reduceat(y, starts) >= SILENCE_PEAK].sum() / sr)


def check_enough_audio(seconds: float, name: str) -> None:
    """Raise AudioError when ``seconds`` of non-silent audio are fewer than a key needs (:data:`MIN_AUDIO_S`)."""
    if seconds < MIN_AUDIO_S:
        raise AudioError(f"{name}: only {seconds:.1f} s of non-silent audio; a key needs at least "
                         f"{MIN_AUDIO_S:g} s")


def duration_s(source: Source) -> float:
    """Length of the audio in seconds (from the header, nothing decoded)."""
    with _open(source) as f:
        return f.frames / f.samplerate


def iter_windows(source: Source, window_s: float, hop_s: float,
                 sr: int = DEFAULT_SR) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(start_s, samples)`` windows of ``window_s`` every ``hop_s``, reading one block at a time."""
    if window_s <= 0 or hop_s <= 0:
        raise ValueError("window_s and hop_s must be positive")
    name = _name(source)
    with _open(source) as f:
        if f.frames == 0:
            raise AudioError(f"{name}: no audio samples")
        win, hop = int(round(window_s * f.samplerate)), int(round(hop_s * f.samplerate))
        start = 0
        while start < f.frames:
            f.seek(start)
            block = f.read(win, dtype="float32", always_2d=True)
            if len(block) == 0:
                break
            yield start / f.samplerate, _to_mono(block, f.samplerate, sr)
            if start + win >= f.frames:
                break
            start += hop


def check_format(name: str) -> None:
    """Raise AudioError for a file name whose extension is not a supported audio format."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in NEEDS_FFMPEG:
        raise AudioError(f"{name}: {suffix} is not read by this install's decoder (libsndfile); convert it to FLAC, "
                         f"e.g. with ffmpeg (apt-get install ffmpeg; ffmpeg -i in.{suffix} out.flac)")
    if suffix not in FORMATS:
        raise AudioError(f"{name}: unsupported format {suffix or '(no extension)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
