import numpy as np
import pytest

from core.estimate.estimators import available_estimators, estimate_audio, load_estimator, strength_proba
from core.keys import Key
from tests.audio_fixtures import SR, key_signal


@pytest.mark.parametrize("key", ["C major", "A minor", "F# major", "Eb minor"])
def test_template_estimates_key_of_real_chords(key):
    est = load_estimator("template:krumhansl")
    proba = estimate_audio(est, key_signal(key, seconds=3.0), SR)
    assert proba.shape == (24,) and np.isclose(proba.sum(), 1.0)
    assert int(proba.argmax()) == Key.parse(key).index


def test_default_cnn_loads_and_predicts_from_audio():
    est = load_estimator("default")
    proba = estimate_audio(est, key_signal("G major", seconds=6.0), SR)
    assert proba.shape == (24,) and np.isclose(proba.sum(), 1.0)
    with pytest.raises(ValueError, match="expects features of shape"):
        est.predict_proba(np.zeros((1, 12, 5)))


def test_names_and_errors():
    names = available_estimators()
    assert "default" in names and "template:temperley" in names
    with pytest.raises(ValueError, match="unknown estimator 'nope'"):
        load_estimator("nope")
    with pytest.raises(ValueError, match="unknown profile"):
        load_estimator("template:nope")


def test_templates_hear_the_whole_audio_not_only_its_start():
    y = np.concatenate([key_signal("C major", 10.0, SR), key_signal("F# major", 20.0, SR)])
    estimator = load_estimator("template:krumhansl")
    features = estimator.features(y)
    assert features.shape == (1, 12, 1)  # the mean chroma of all 30 s: one shape for any length
    assert Key.from_index(int(estimate_audio(estimator, y, SR).argmax())) == Key.parse("F# major")


@pytest.mark.parametrize("strength", [0.0, 0.01, 0.5, 1.0, -0.2, 1.3])
def test_a_named_key_and_its_strength_give_probabilities_where_that_key_wins(strength):
    proba = strength_proba(Key.parse("A minor").index, strength)
    assert proba.argmax() == Key.parse("A minor").index and proba.min() >= 0
    np.testing.assert_allclose(proba.sum(), 1.0)
