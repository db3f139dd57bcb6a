"""Production on rendered stems: effects, mix, master, lossy coding, noise, detuning, loudness.

Effects come from Spotify's ``pedalboard``. Every setting is drawn from a seed, so a clip is
reproducible; nothing here changes pitch by more than the detuning (at most
:data:`MAX_DETUNE_CENTS`), so the clip's key label stays exact.
"""
from __future__ import annotations

import numpy as np

MAX_DETUNE_CENTS = 30.0


def stem_effects(rng: np.random.Generator, distorted: bool):
    """A pedalboard for the comping stem: drive on a distorted guitar, sometimes chorus, always compression."""
    import pedalboard as pb

    chain = [pb.HighpassFilter(float(rng.uniform(60, 160)))]
    if distorted:
        chain += [pb.Distortion(float(rng.uniform(12, 38))), pb.LowpassFilter(float(rng.uniform(3500, 7000)))]
    if rng.random() < 0.3:
        chain.append(pb.Chorus(rate_hz=float(rng.uniform(0.3, 2.0)), depth=float(rng.uniform(0.1, 0.4)), mix=0.4))
    chain.append(pb.Compressor(threshold_db=float(rng.uniform(-24, -8)), ratio=float(rng.uniform(2, 6))))
    return pb.Pedalboard(chain)


def master_effects(rng: np.random.Generator):
    """A pedalboard for the mix: EQ, reverb, bus compression, limiter and, often, MP3 coding."""
    import pedalboard as pb

    chain = [
        pb.LowShelfFilter(float(rng.uniform(80, 250)), float(rng.uniform(-6, 8))),
        pb.PeakFilter(float(rng.uniform(300, 4000)), float(rng.uniform(-6, 6)), float(rng.uniform(0.5, 2))),
        pb.HighShelfFilter(float(rng.uniform(3000, 9000)), float(rng.uniform(-8, 6))),
        pb.Reverb(room_size=float(rng.uniform(0.1, 0.9)), wet_level=float(rng.uniform(0.0, 0.3)), dry_level=0.8),
        pb.Compressor(threshold_db=float(rng.uniform(-20, -6)), ratio=float(rng.uniform(1.5, 4))),
    ]
    if rng.random() < 0.25:  # lo-fi: a band-limited, old or cheap recording
        chain.append(pb.LowpassFilter(float(rng.uniform(2500, 6000))))
    chain.append(pb.Limiter(threshold_db=float(rng.uniform(-6, -0.5))))
    if rng.random() < 0.6:
        chain.append(pb.MP3Compressor(float(rng.uniform(2, 9))))
    return pb.Pedalboard(chain)


def detune(y: np.ndarray, cents: float) -> np.ndarray:
    """``y`` played ``cents`` higher (resampled, so also slightly faster), same sample rate."""
    import librosa

    if abs(cents) < 0.5:
        return y
    ratio = 2 ** (cents / 1200)
    return librosa.resample(y, orig_sr=1_000_000 * ratio, target_sr=1_000_000, res_type="soxr_hq").astype(np.float32)


def produce(rest: np.ndarray, sr: int, seed: int, comp: np.ndarray | None = None, distorted: bool = False) -> np.ndarray:
    """Mono float32 mix with random production, detuning, noise and level; a separate comping stem
    ``comp`` (same length) gets its own effects first."""
    rng = np.random.default_rng(seed + 2)
    mix = _normalise(rest, 1.0)
    if comp is not None:
        comp = stem_effects(rng, distorted)(comp.astype(np.float32), sr)
        mix = mix + _normalise(comp, 1.0) * 10 ** (rng.uniform(-9, 3) / 20)
    n = mix.size
    mix = master_effects(rng)(mix.astype(np.float32), sr)[:n]
    mix = detune(mix, float(rng.uniform(-MAX_DETUNE_CENTS, MAX_DETUNE_CENTS)))[:n]
    mix = np.pad(mix, (0, n - mix.size))  # played sharp is a little shorter: same length as the stems
    noise = np.random.default_rng(seed + 3).standard_normal(mix.size).astype(np.float32)
    if rng.random() < 0.5:  # pink-ish noise: hiss with more low end
        noise = np.cumsum(noise) * 0.02
        noise -= np.convolve(noise, np.ones(512) / 512, mode="same")
    mix = _normalise(mix, 1.0) + _normalise(noise, 10 ** (-rng.uniform(25, 55) / 20))
    return np.clip(_normalise(mix, 10 ** (rng.uniform(-26, -12) / 20)), -1, 1).astype(np.float32)


def _normalise(y: np.ndarray, rms: float) -> np.ndarray:
    """``y`` scaled to root-mean-square ``rms`` (silence stays silence)."""
    current = float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))) if y.size else 0.0
    return (y * (rms / current)).astype(np.float32) if current > 1e-9 else y.astype(np.float32)
