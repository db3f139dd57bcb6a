"""The NumPy runtime (core.models.network) gives Keras's outputs to 1e-5, and inference never imports TensorFlow."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import paths
from core.estimate.estimators import CNNEstimator, load_estimator
from core.evaluation.scoring import first_layer_activations, first_layer_filters
from core.models.network import Network, UnsupportedModel, load_network
from tests.audio_fixtures import write_key_audio

ROOT = Path(__file__).resolve().parent.parent


def keras_model(path: Path):
    import keras

    from core.models.builders import fold_octaves

    fold_octaves()
    return keras.models.load_model(path, compile=False)


def assert_same_outputs(path: Path, x: np.ndarray) -> np.ndarray:
    ours = load_network(path)(x)
    theirs = np.asarray(keras_model(path)(x.astype(np.float32), training=False))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)
    return ours


def song_features(estimator, key: str, tmp_path: Path, seconds: float = 25.0) -> np.ndarray:
    from core.audio.decode import load_audio

    path = write_key_audio(tmp_path / f"{key}.wav", key, seconds=seconds)
    return estimator.features(load_audio(path, sr=estimator.settings.sample_rate))


@pytest.mark.parametrize("name", ["eqkey-default", "keynet-default"])
def test_shipped_models_match_keras(name, tmp_path):
    estimator = load_estimator(str(paths.MODELS_DIR / name))
    assert isinstance(estimator.model, Network)
    real = song_features(estimator, "E minor", tmp_path)
    noise = np.random.default_rng(1).random((3, *real.shape[1:]), dtype=np.float32)
    for x in (real, noise):
        proba = assert_same_outputs(paths.MODELS_DIR / name / "model.keras", x)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert estimator.predict_proba(real).argmax(axis=1).tolist() == [8] * len(real)  # E minor: class 2 * 4 + 0


def test_a_network_pickles_as_what_it_was_made_from():
    """Dask sends the estimator to its workers pickled; the layers' closures are rebuilt there."""
    import pickle

    network = load_network(paths.DEFAULT_MODEL_DIR / "model.keras")
    copy = pickle.loads(pickle.dumps(network))
    x = np.random.default_rng(5).random((2, 84, 12, 1), dtype=np.float32)
    np.testing.assert_array_equal(copy(x), network(x))


def test_eqkey_any_number_of_frames(tmp_path):
    path = paths.DEFAULT_MODEL_DIR / "model.keras"
    for frames in (1, 7, 33):  # odd counts exercise the "same" pooling's padding
        assert_same_outputs(path, np.random.default_rng(frames).random((2, 84, frames, 1), dtype=np.float32))


def _fresh_model(builder: str, shape: tuple[int, int, int], folder: Path) -> Path:
    """A tiny model of ``builder`` trained two epochs on random data (batch norm statistics move), saved."""
    import keras

    from core.models.builders import build

    keras.utils.set_random_seed(0)
    model = build(builder, shape, 4) if builder != "seed" else build(builder, shape)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((16, *shape), dtype=np.float32)
    model.fit(x, keras.utils.to_categorical(rng.integers(0, 24, 16), 24), epochs=2, batch_size=8, verbose=0)
    folder.mkdir()
    model.save(folder / "model.keras")
    (folder / "config.json").write_text(json.dumps({"model": builder, "input_shape": list(shape),
                                                    "representation": "stft162" if builder == "seed" else "semitone"}))
    return folder / "model.keras"


@pytest.mark.parametrize("builder, shape", [("seed", (20, 20, 1)), ("keynet", (24, 16, 1)), ("eqkey", (24, 10, 1))])
def test_freshly_trained_models_of_every_builder_match_keras(builder, shape, tmp_path):
    path = _fresh_model(builder, shape, tmp_path / builder)
    x = np.random.default_rng(2).random((4, *shape), dtype=np.float32)
    assert_same_outputs(path, x)
    cnn = load_estimator(str(path.parent))
    assert isinstance(cnn.model, Network)
    keras_maps = first_layer_activations(keras_model(path), x[0])
    np.testing.assert_allclose(first_layer_activations(cnn.model, x[0]), keras_maps, atol=1e-5)
    np.testing.assert_allclose(first_layer_filters(cnn.model), first_layer_filters(keras_model(path)), atol=1e-7)


def test_sequential_with_average_pooling_flatten_dense(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((12, 9, 1)), keras.layers.AveragePooling2D(4, padding="same"),
                              keras.layers.Conv2D(3, 2, strides=2, activation="relu"), keras.layers.Flatten(),
                              keras.layers.Dense(24, activation="softmax")])
    model.save(tmp_path / "model.keras")
    assert_same_outputs(tmp_path / "model.keras", np.random.default_rng(3).random((5, 12, 9, 1), dtype=np.float32))


def test_strided_convolutions_with_fewer_filters_than_channels(tmp_path):
    """The shifted-taps path of the runtime's convolution, with strides and both paddings, as Keras computes it."""
    import keras

    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((13, 11, 1)), keras.layers.Conv2D(6, 3, padding="same", activation="elu"),
                              keras.layers.Conv2D(4, (3, 2), strides=(2, 3), padding="valid"),
                              keras.layers.Conv2D(2, 3, strides=2, padding="same", activation="relu"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(24, activation="softmax")])
    model.save(tmp_path / "model.keras")
    assert_same_outputs(tmp_path / "model.keras", np.random.default_rng(6).random((3, 13, 11, 1), dtype=np.float32))


def test_a_layer_the_runtime_lacks_falls_back_to_keras(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((12, 8, 1)), keras.layers.LayerNormalization(),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(24, activation="softmax")])
    model.save(tmp_path / "model.keras")
    (tmp_path / "config.json").write_text(json.dumps({"model": "custom", "input_shape": [12, 8, 1]}))
    with pytest.raises(UnsupportedModel, match="LayerNormalization"):
        load_network(tmp_path / "model.keras")
    cnn = CNNEstimator(tmp_path / "model.keras", {"input_shape": [12, 8, 1]}, "custom")
    x = np.random.default_rng(4).random((2, 12, 8, 1), dtype=np.float32)
    np.testing.assert_allclose(cnn.predict_proba(x), np.asarray(model(x)), atol=1e-6)


def test_predict_and_evaluate_never_import_tensorflow(tmp_path):
    song = write_key_audio(tmp_path / "song.wav", "A minor", seconds=6.0)
    (tmp_path / "labels.csv").write_text(f"file,key\n{song},A minor\n")
    script = ("import sys; from core.cli import main; "
              f"assert main(['predict', {str(song)!r}]) == 0; "
              f"assert main(['evaluate', {str(tmp_path / 'labels.csv')!r}, '--model', 'keynet-default']) == 0; "
              "print('heavy:', sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'librosa')))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "A minor" in done.stdout
    heavy = done.stdout.strip().splitlines()[-1]
    assert "tensorflow" not in heavy and "keras" not in heavy, heavy
