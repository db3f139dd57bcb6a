import numpy as np
import pytest

from core.estimate.profiles import PROFILES, match, match_proba, profile
from core.keys import Key


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_template_matching_recognises_every_rotated_profile(name):
    for index in range(24):
        chroma = profile(index, name) + np.random.default_rng(index).uniform(0, 0.005, 12)
        assert int(np.argmax(match(chroma, name))) == index, Key.from_index(index)


def test_probabilities_and_frames():
    chroma = np.tile(profile("G major")[:, None], (1, 5))
    p = match_proba(chroma)
    assert p.shape == (24,) and np.isclose(p.sum(), 1.0)
    assert int(p.argmax()) == Key.parse("G major").index
    with pytest.raises(ValueError, match="12 pitch classes"):
        match(np.ones(7))
