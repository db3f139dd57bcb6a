"""Every cheap estimator kind names a key for real audio of any length from the minimum up to a minute,
and refuses shorter audio with a message saying how much it needs."""
from __future__ import annotations

import io
import json

import pytest
import soundfile as sf

from core.audio.decode import MIN_AUDIO_S, AudioError
from core.estimate.estimators import load_estimator
from core.estimate.song import predict_song
from tests.audio_fixtures import SR, key_signal

KEY = "E minor"


def wav_bytes(seconds: float) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, key_signal(KEY, seconds), SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def tiny_cnn(folder, representation: str, shape: tuple[int, int, int]):
    """A real (untrained, tiny) Keras model saved as a run folder, loaded like any run."""
    import keras

    model = keras.Sequential([keras.Input(shape), keras.layers.AveragePooling2D(6), keras.layers.Flatten(),
                              keras.layers.Dense(24, activation="softmax")])
    folder.mkdir()
    model.save(folder / "model.keras")
    (folder / "config.json").write_text(json.dumps({"input_shape": list(shape), "representation": representation}))
    return load_estimator(str(folder))


def check(estimator, seconds: float, window_s: float, hop_s: float = 10.0) -> None:
    name = f"{seconds:g}s.wav"
    if seconds < MIN_AUDIO_S:
        with pytest.raises(AudioError, match=f"{name}: only .* a key needs at least {MIN_AUDIO_S:g} s"):
            predict_song(wav_bytes(seconds), estimator, name=name, window_s=window_s, hop_s=min(hop_s, window_s))
        return
    result = predict_song(wav_bytes(seconds), estimator, name=name, window_s=window_s, hop_s=min(hop_s, window_s))
    assert result.proba.shape == (24,) and abs(result.proba.sum() - 1) < 1e-6, seconds
    assert result.starts and result.starts[-1] < seconds
    return result


# Lengths around the edges of the window arithmetic: the minimum audio, excerpts of 10 s (templates) and
# 11.9 s (semitone CNN), windows of 20 s every 10 s, the reported 15-20 s and 35-47 s songs, a minute.
LENGTHS = [0.5, 1.9, 2.0, 2.1, 10.0, 11.9, 15.0, 17.0, 19.0, 20.1, 29.9, 36.0, 41.0, 47.0, 60.0]


@pytest.mark.parametrize("window_s,lengths", [(20.0, LENGTHS), (5.0, [2.0, 7.0, 17.0]), (60.0, [17.0, 44.0])])
def test_templates_every_length_up_to_a_minute(window_s, lengths):
    estimator = load_estimator("template:krumhansl")
    for seconds in lengths:
        result = check(estimator, seconds, window_s)
        if result is not None:
            assert result.key.name == KEY, (seconds, result.key.name)


@pytest.mark.parametrize("representation,shape,lengths", [
    ("semitone", (48, 64, 1), [1.0, 2.0, 11.9, 17.0, 36.0, 47.0]),
    ("stft162", (162, 162, 1), [2.0, 17.0, 47.0])])
def test_cnns_every_length_up_to_a_minute(tmp_path, representation, shape, lengths):
    estimator = tiny_cnn(tmp_path / "run", representation, shape)
    for seconds in lengths:
        check(estimator, seconds, 20.0)
