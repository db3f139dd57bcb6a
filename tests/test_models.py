"""The model builders: the seed network exactly as the capstone's, keynet small and transposition-friendly."""
import numpy as np
import pytest

from core.models import builders


def test_seed_is_the_capstone_network():
    model = builders.build("seed", builders.SEED_INPUT_SHAPE)
    assert model.count_params() == builders.SEED_PARAMS == 12_440
    assert model.input_shape == (None, 162, 162, 1)
    assert model.output_shape == (None, 24)
    convs = [layer for layer in model.layers if layer.__class__.__name__ == "Conv2D"]
    assert [(c.filters, c.kernel_size) for c in convs] == [(8, (1, 1)), (16, (2, 2)), (32, (2, 2)), (64, (2, 2))]
    assert model.get_layer("maxp_4").output.shape[1:3] == (20, 20)


def test_keynet_outputs_probabilities_and_is_small():
    model = builders.build("keynet", (48, 16, 1))
    proba = model.predict(np.random.default_rng(0).random((3, 48, 16, 1), dtype=np.float32), verbose=0)
    assert proba.shape == (3, 24)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert model.count_params() < 50_000


def test_unknown_model_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown model 'vgg'"):
        builders.build("vgg", (48, 16, 1))


def test_keynet_output_depends_on_where_the_energy_is():
    """The class layer spans the whole frequency axis. With pooling over frequency instead, a pattern
    moved by a semitone (away from the edges) gives the same output, and no tonic can be learned."""
    model = builders.build("keynet", (48, 16, 1))
    x = np.zeros((2, 48, 16, 1), np.float32)
    x[0, 20:24] = np.random.default_rng(0).random((4, 16, 1))
    x[1] = np.roll(x[0], 1, axis=0)  # the same pattern a semitone higher
    proba = model.predict(x, verbose=0)
    assert np.abs(proba[0] - proba[1]).max() > 1e-3
