import numpy as np
import pytest

from core.evaluation.metrics import headline, summary
from core.keys import Key


def onehot(indices, sharp=1.0):
    p = np.full((len(indices), 24), (1 - sharp) / 23)
    p[np.arange(len(indices)), indices] = sharp
    return p


def test_perfect_predictions():
    y = np.arange(24)
    s = summary(y, onehot(y))
    assert s["accuracy"] == 1.0 and s["mirex_weighted"] == 1.0 and s["fbeta_macro"] == 1.0
    assert np.trace(np.array(s["confusion"])) == 24
    assert s["recall_per_class"] == [1.0] * 24


def test_all_fifth_predictions_score_half():
    y = np.arange(24)
    pred = [Key.from_index(i).dominant.index for i in y]
    s = summary(y, onehot(pred))
    assert s["accuracy"] == 0.0
    assert s["mirex_weighted"] == pytest.approx(0.5)
    assert s["mirex_fractions"]["fifth"] == 1.0


def test_relative_and_parallel_breakdown():
    y = np.array([1, 1, 1, 1])           # C major
    pred = [Key.parse("A minor").index, Key.parse("C minor").index, 1, Key.parse("F# major").index]
    s = summary(y, onehot(pred))
    f = s["mirex_fractions"]
    assert (f["relative"], f["parallel"], f["correct"], f["other"]) == (0.25, 0.25, 0.25, 0.25)
    assert s["mirex_weighted"] == pytest.approx((0.3 + 0.2 + 1.0 + 0.0) / 4)


def test_seed_batch_fbeta_reads_zero_when_macro_is_high():
    y = np.arange(24).repeat(2)
    s = summary(y, onehot(y, sharp=0.4))   # argmax right, but no probability over 0.5
    assert s["fbeta_macro"] == 1.0
    assert s["fbeta_seed_batch"] < 0.01


def test_confusion_normalised_rows_sum_to_one_and_bad_shape_errors():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 24, 100)
    s = summary(y, rng.dirichlet(np.ones(24), 100))
    rows = np.array(s["confusion_normalised"]).sum(axis=1)
    assert np.allclose(rows[np.bincount(y, minlength=24) > 0], 1.0)
    with pytest.raises(ValueError, match="proba"):
        summary(y, np.ones((100, 12)))


def test_headline_names_the_scores_as_pages_show_them():
    y = np.arange(24)
    scores = headline(summary(y, np.eye(24)))
    assert scores == {"accuracy": 1.0, "MIREX weighted": 1.0, "macro F1": 1.0, "seed batch F1": pytest.approx(1.0)}
    assert list(headline(summary(y, np.eye(24), beta=2.0))) == ["accuracy", "MIREX weighted", "macro F2",
                                                                "seed batch F2"]
    assert headline({}) == {}


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_more_files():
    from core.evaluation.metrics import bootstrap_interval

    rng = np.random.default_rng(1)
    few = rng.choice([0.0, 0.3, 0.5, 1.0], 20)
    many = np.tile(few, 10)
    low, high = bootstrap_interval(few)
    assert low < few.mean() < high
    many_low, many_high = bootstrap_interval(many)
    assert many_high - many_low < (high - low) / 2
    assert bootstrap_interval([1.0, 1.0, 1.0]) == (1.0, 1.0)


def test_paired_difference_counts_files_and_sees_a_real_gain():
    from core.evaluation.metrics import paired_difference

    base = np.array([1.0, 0.0, 0.5, 0.0, 1.0, 0.3, 0.0, 0.2] * 4)
    better = np.where(base == 0.0, 1.0, base)  # right on every file the base got wrong
    gain = paired_difference(better, base)
    assert gain["better"] == 12 and gain["worse"] == 0 and gain["same"] == 20
    assert gain["low"] > 0 and np.isclose(gain["difference"], (better - base).mean())
    same = paired_difference(base, base)
    assert same["difference"] == same["low"] == same["high"] == 0.0
    with pytest.raises(ValueError, match="same files"):
        paired_difference(base, base[:-1])
