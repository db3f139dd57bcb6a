"""Feature shapes, settings ids, and transposition that matches transposed audio."""
import numpy as np
import pytest

from core.audio.features import FeatureSettings, extract, transpose
from tests.audio_fixtures import key_signal


@pytest.mark.parametrize("kind", ["stft162", "logspec", "chroma"])
def test_fixed_shape_even_for_short_audio(kind):
    settings = FeatureSettings(kind=kind, duration=2.0)
    for seconds in (0.5, 3.0):
        x = extract(key_signal("G major", seconds), settings)
        assert x.shape == settings.shape and x.dtype == np.float32


def test_settings_id_stable_and_round_trips():
    a = FeatureSettings(kind="chroma", duration=4.0)
    assert a.id == FeatureSettings.from_dict(a.to_dict()).id
    assert a.id != FeatureSettings(kind="chroma", duration=5.0).id
    with pytest.raises(ValueError, match="kind"):
        FeatureSettings(kind="mfcc")


@pytest.mark.parametrize("k", [2, 5, -3])
def test_transposed_audio_gives_transposed_features(k):
    logspec = FeatureSettings(kind="logspec", duration=2.0)
    chroma = FeatureSettings(kind="chroma", duration=2.0)
    base, up = key_signal("C major", 2.0), key_signal("C major", 2.0, shift=k)
    moved, target = transpose(extract(base, logspec), k, logspec), extract(up, logspec)
    interior = slice(2 * 12, -2 * 12)  # away from the zero-filled edge
    assert np.corrcoef(moved[interior].ravel(), target[interior].ravel())[0, 1] > 0.9
    c_base, c_up = extract(base, chroma).mean(axis=1), extract(up, chroma).mean(axis=1)
    assert int(np.argmax(c_up)) == (int(np.argmax(c_base)) + k) % 12
    assert np.allclose(transpose(extract(base, chroma), k, chroma).mean(axis=1), np.roll(c_base, k))


def test_stft162_cannot_transpose():
    s = FeatureSettings(kind="stft162", duration=1.0)
    with pytest.raises(ValueError, match="cannot be transposed"):
        transpose(extract(key_signal("A minor", 1.0), s), 1, s)
