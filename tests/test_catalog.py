import pandas as pd

from core.msd.catalog import Selection, class_counts, confidence_histogram, select, summarize, year_bounds
from core.msd.hdf5 import with_key_columns
from tests.conftest import make_catalog_frame


def _catalog(n=500):
    return with_key_columns(make_catalog_frame(n))


def test_confidence_thresholds():
    catalog = _catalog()
    default = select(catalog)
    assert len(default) == ((catalog.key_confidence > 0.75) & (catalog.mode_confidence > 0.75)).sum()
    assert len(select(catalog, Selection(0.0, 0.0))) == len(catalog)
    assert len(select(catalog, Selection(0.9, 0.9))) < len(default)


def test_confidence_thresholds_are_strict_as_the_seed():
    catalog = _catalog(6)
    catalog["key_confidence"] = [0.75, 0.751, 0.749, 0.9, 0.75, 1.0]
    catalog["mode_confidence"] = [0.9, 0.9, 0.9, 0.75, 0.75, 0.751]
    assert select(catalog).index.tolist() == [1, 5]  # exactly 0.750 is out, in either field
    assert select(catalog, Selection(0.749, 0.749)).index.tolist() == [0, 1, 3, 4, 5]
    assert select(catalog, Selection(1.0, 0.0)).empty


def test_key_mode_year_and_text_filters():
    catalog = _catalog()
    chosen = select(catalog, Selection(0, 0, keys=[0, 7], modes=[1]))
    assert set(chosen["key"]) <= {0, 7} and set(chosen["mode"]) == {1} and len(chosen) > 0
    by_year = select(catalog, Selection(0, 0, years=(1990, 2000)))
    assert ((by_year.year == 0) | by_year.year.between(1990, 2000)).all()
    assert (by_year.year == 0).sum() == (catalog.year == 0).sum()
    text = select(catalog, Selection(0, 0, text="artist 3"))
    assert set(text["artist_name"]) == {"Artist 3"}
    assert len(select(catalog, Selection(0, 0, text="NUMBER 12"))) == len(
        catalog[catalog.title.str.contains("number 12", case=False)])


def test_class_counts_cover_all_24_classes():
    catalog = _catalog()
    counts = class_counts(catalog)
    assert len(counts) == 24 and counts["count"].sum() == len(catalog)
    assert counts.loc[7, "key_name"] == "Eb major"
    assert counts.loc[7, "count"] == ((catalog["key"] == 3) & (catalog["mode"] == 1)).sum()
    assert class_counts(catalog.head(0))["count"].sum() == 0


def test_confidence_histogram_is_aggregated():
    catalog = _catalog(1000)
    hist = confidence_histogram(catalog, bins=10)
    assert len(hist) == 20
    assert hist.groupby("field")["count"].sum().tolist() == [1000, 1000]


def test_year_bounds_ignore_unknown_years():
    catalog = pd.DataFrame({"year": [0, 1999, 1970, 0]})
    assert year_bounds(catalog) == (1970, 1999)
    assert year_bounds(pd.DataFrame({"year": [0, 0]})) == (1900, 2030)


def test_summary_agrees_with_the_selected_rows():
    catalog = _catalog(2000)
    catalog["has_audio"] = catalog.index % 3 == 0
    selection = Selection(0.3, 0.4, keys=[0, 2, 7])
    selected, summary = select(catalog, selection), summarize(catalog, selection)
    assert catalog.iloc[summary.rows].index.tolist() == selected.index.tolist()
    pd.testing.assert_frame_equal(summary.counts, class_counts(selected))
    pd.testing.assert_frame_equal(summary.histogram, confidence_histogram(selected))
    assert summary.with_audio == int(selected["has_audio"].sum())
    assert summarize(catalog.drop(columns="has_audio"), Selection(1.0, 1.0)).with_audio is None
    assert summarize(catalog, Selection(1.0, 1.0)).counts["count"].sum() == 0
