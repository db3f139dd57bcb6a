"""Rendering plans to audio with General MIDI soundfonts (midirenderer), then production.

Soundfonts: pretty_midi's own TimGM6mb plus every ``.sf2`` General MIDI bank found in
:data:`SOUNDFONT_DIRS` (Debian's ``fluid-soundfont-gm``, ``musescore-general-soundfont-lossless``,
``timgm6mb-soundfont``, ``opl3-soundfont``). midirenderer reads no ``.sf3``.
"""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.data.synth.arrange import ClipPlan, arrangement
from core.data.synth.production import produce

SAMPLE_RATE = 22050
SOUNDFONT_DIRS = (Path("/usr/share/sounds/sf2"), Path("/usr/share/soundfonts"))


def soundfonts(max_mb: float = 200.0) -> list[Path]:
    """General MIDI soundfonts available here, pretty_midi's first; one of each name (links and copies once).

    Banks over ``max_mb`` are left out: midirenderer parses the whole bank for every render, and
    MuseScore's 489 MB bank costs about 1.5 s a clip, more than all the rest of the work.
    """
    import pretty_midi

    found = [Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"]
    for folder in SOUNDFONT_DIRS:
        found += sorted(folder.glob("*.sf2")) if folder.is_dir() else []
    unique: dict[str, Path] = {}
    for path in found:
        if path.resolve().stat().st_size <= max_mb * 1e6:
            unique.setdefault(path.resolve().name, path)
    return list(unique.values())


@lru_cache(maxsize=4)
def _soundfont_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def render_midi(midi, soundfont: Path) -> np.ndarray:
    """Mono float32 audio at :data:`SAMPLE_RATE` of a :class:`pretty_midi.PrettyMIDI`."""
    import librosa
    import midirenderer
    import soundfile as sf

    buffer = io.BytesIO()
    midi.write(buffer)
    wave, rate = sf.read(io.BytesIO(midirenderer.render_wave_from(_soundfont_bytes(str(soundfont)), buffer.getvalue())),
                         dtype="float32")
    y = wave.mean(axis=1) if wave.ndim == 2 else wave
    return librosa.resample(y, orig_sr=rate, target_sr=SAMPLE_RATE)


def render_plan(plan: ClipPlan, seconds: float, fonts: list[Path]) -> np.ndarray:
    """The produced clip: ``seconds`` of mono float32 audio at :data:`SAMPLE_RATE`.

    A distorted comping part is rendered as a stem of its own and driven before the mix; otherwise
    all parts are rendered together (one soundfont load) and only the mix is produced.
    """
    comp, rest = arrangement(plan, seconds)
    font = fonts[plan.soundfont % len(fonts)]
    n = int(seconds * SAMPLE_RATE)
    comp_audio = _fit(render_midi(comp, font), n) if plan.distorted else None
    if comp_audio is None:
        rest.instruments.extend(comp.instruments)
    return produce(_fit(render_midi(rest, font), n), SAMPLE_RATE, plan.seed, comp_audio, plan.distorted)


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    return np.pad(y[:n], (0, max(0, n - y.size))).astype(np.float32)
