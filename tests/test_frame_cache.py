"""The catalog's columnar copy: reused while the file is unchanged, rebuilt otherwise, never trusted blindly."""
import os

import pandas as pd
import pytest

from core import paths
from core.msd import hdf5
from core.msd.frame_cache import cache_file
from tests.conftest import make_catalog_frame


@pytest.fixture
def summary(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(hdf5, "CACHE_FROM_BYTES", 0)  # copy even a small test file
    return hdf5.write_summary(tmp_path / "msd_summary_file.h5", make_catalog_frame(700, seed=2))


def _no_reading(monkeypatch):
    def refuse(path):
        raise AssertionError(f"{path} was read again")
    monkeypatch.setattr(hdf5, "_read_h5", refuse)


def test_a_cache_hit_returns_the_same_frame_without_reading_the_file(summary, monkeypatch):
    first = hdf5.read_catalog(summary)
    assert cache_file(summary, "catalogs").exists()
    _no_reading(monkeypatch)
    pd.testing.assert_frame_equal(hdf5.read_catalog(summary), first, check_exact=True)


def test_a_changed_file_is_read_again(summary):
    hdf5.read_catalog(summary)
    changed = make_catalog_frame(650, seed=9)
    hdf5.write_summary(summary, changed)
    os.utime(summary, ns=(summary.stat().st_atime_ns, summary.stat().st_mtime_ns + 10**9))
    assert hdf5.read_catalog(summary)["track_id"].tolist() == changed["track_id"].tolist()


@pytest.mark.parametrize("damage", ["cut short", "garbage", "empty"])
def test_a_damaged_copy_is_ignored_and_rebuilt(summary, monkeypatch, damage):
    expected = hdf5.read_catalog(summary)
    copy = cache_file(summary, "catalogs")
    data = copy.read_bytes()
    copy.write_bytes({"cut short": data[: len(data) // 2], "garbage": b"not arrow" * 50, "empty": b""}[damage])
    pd.testing.assert_frame_equal(hdf5.read_catalog(summary), expected, check_exact=True)
    _no_reading(monkeypatch)  # the copy was written again, whole
    pd.testing.assert_frame_equal(hdf5.read_catalog(summary), expected, check_exact=True)


def test_a_cache_folder_that_cannot_be_written_costs_only_speed(summary, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setattr(paths, "CACHE_DIR", blocker)  # mkdir under a file fails
    assert len(hdf5.read_catalog(summary)) == 700
    assert not list(tmp_path.glob("**/*.tmp"))
