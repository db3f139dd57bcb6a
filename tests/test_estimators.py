import numpy as np
import pytest

from core.estimators import available_estimators, estimate_audio, load_estimator
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
