import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

from core.msd import hdf5
from core.msd.hdf5 import MSDError, read_catalog
from tests.conftest import make_catalog_frame


def test_summary_file_has_the_msd_layout(summary_file, catalog_frame):
    with h5py.File(summary_file) as handle:
        for table, fields in hdf5.TABLES.items():
            songs = handle[f"/{table}/songs"]
            assert songs.dtype.names == tuple(sorted(fields))  # PyTables orders fields by name
            assert songs.attrs["CLASS"] == b"TABLE" and len(songs) == len(catalog_frame)
        assert handle["/metadata/songs"].dtype["artist_name"] == np.dtype("S1024")
        assert handle["/analysis/songs"].dtype["key"] == np.dtype("<i4")
        assert handle["/musicbrainz/songs"]["year"].tolist() == catalog_frame["year"].tolist()


def test_summary_file_round_trips(summary_file, catalog_frame):
    catalog = read_catalog(summary_file)
    assert list(catalog.columns[: len(hdf5.CATALOG_COLUMNS)]) == hdf5.CATALOG_COLUMNS
    assert catalog["track_id"].tolist() == catalog_frame["track_id"].tolist()
    assert catalog["title"].tolist() == catalog_frame["title"].tolist()
    np.testing.assert_allclose(catalog["key_confidence"], catalog_frame["key_confidence"])
    assert (catalog["class_index"] == 2 * catalog_frame["key"] + catalog_frame["mode"]).all()
    row = catalog.iloc[0]
    assert row["key_name"].endswith("major" if row["mode"] == 1 else "minor")


def test_track_file_and_subset_tree(tmp_path, catalog_frame):
    one = catalog_frame.iloc[3]
    track = hdf5.write_track(tmp_path / f"{one.track_id}.h5", one)
    with h5py.File(track) as handle:
        assert "segments_start" in handle["analysis"] and "artist_terms" in handle["metadata"]
    catalog = read_catalog(track)
    assert len(catalog) == 1 and catalog.loc[0, "track_id"] == one.track_id

    files = hdf5.write_subset_tree(tmp_path / "subset", catalog_frame.head(30))
    first = files[0].relative_to(tmp_path / "subset")
    assert first.parts[:3] == tuple(catalog_frame.loc[0, "track_id"][2:5])
    seen = []
    tree = read_catalog(tmp_path / "subset", progress=lambda done, total: seen.append((done, total)))
    assert sorted(tree["track_id"]) == sorted(catalog_frame.head(30)["track_id"])
    assert seen[-1] == (30, 30)


def test_unicode_and_long_strings_survive(tmp_path):
    frame = make_catalog_frame(3)
    frame.loc[0, "artist_name"] = "Björk & Sigur Rós"
    frame.loc[1, "title"] = "x" * 2000
    catalog = read_catalog(hdf5.write_summary(tmp_path / "s.h5", frame))
    assert catalog.loc[0, "artist_name"] == "Björk & Sigur Rós"
    assert catalog.loc[1, "title"] == "x" * 1024  # the MSD's fixed width


def test_every_storage_of_the_tables_reads_the_same(tmp_path):
    frame = make_catalog_frame(1500, seed=4)  # several chunks, the last one partial
    frame.loc[7, "title"] = "Björk\x00"  # trailing NUL: padding, dropped
    original = hdf5.write_summary(tmp_path / "s.h5", frame)
    expected = read_catalog(original)
    assert expected.loc[7, "title"] == "Björk"
    storages = {"contiguous": {}, "deflate": {"chunks": (100,), "compression": "gzip"},
                "shuffle+lzf": {"chunks": (64,), "compression": "lzf", "shuffle": True},
                "big-endian": {"chunks": (256,), "compression": "gzip", "shuffle": True}}
    for name, options in storages.items():
        copy = tmp_path / f"{name}.h5"
        with h5py.File(original) as source, h5py.File(copy, "w") as target:
            for table in hdf5.TABLES:
                data = source[f"/{table}/songs"][:]
                if name == "big-endian":
                    data = data.astype(data.dtype.newbyteorder(">"))
                target.create_dataset(f"/{table}/songs", data=data, **options)
        pd.testing.assert_frame_equal(read_catalog(copy), expected, check_exact=True, obj=name)


def test_a_damaged_or_cut_chunk_inside_a_readable_file_is_reported(tmp_path):
    original = hdf5.write_summary(tmp_path / "s.h5", make_catalog_frame(1500, seed=4))
    with h5py.File(original) as handle:
        chunk = handle["/metadata/songs"].id.get_chunk_info(1)  # 512 rows, deflated
    for name, offset in (("flipped", chunk.byte_offset + chunk.size // 2), ("cut", chunk.byte_offset + 2)):
        damaged = tmp_path / f"{name}.h5"
        data = bytearray(original.read_bytes())
        if name == "flipped":
            data[offset:offset + 64] = bytes(255 - b for b in data[offset:offset + 64])
        else:  # a valid but empty deflate stream (its Adler-32 is 1): the rows stop short
            data[offset:offset + 6] = b"\x03\x00\x00\x00\x00\x01"
        damaged.write_bytes(bytes(data))
        with pytest.raises(MSDError, match="broken or truncated"):
            read_catalog(damaged)


def test_bytes_that_are_not_utf8_are_replaced(tmp_path):
    path = hdf5.write_summary(tmp_path / "s.h5", make_catalog_frame(3))
    with h5py.File(path, "r+") as handle:
        songs = handle["/metadata/songs"]
        rows = songs[:]
        rows["title"][1] = b"caf\xe9"
        songs[:] = rows
    assert read_catalog(path)["title"].tolist() == ["Song number 0", "caf\ufffd", "Song number 2"]


def test_seed_csv_is_read_and_written(tmp_path, summary_file):
    out = tmp_path / "sel.csv"
    result = subprocess.run([sys.executable, "-m", "core", "msd", str(summary_file),
                             "--min-key-confidence", "0.5", "--min-mode-confidence", "0.6", "--out", str(out)],
                            capture_output=True, text=True, check=True)
    catalog = read_catalog(summary_file)
    expected = ((catalog.key_confidence > 0.5) & (catalog.mode_confidence > 0.6)).sum()
    assert f"tracks: {len(catalog)}" in result.stdout
    assert f"selected (key_confidence > 0.5, mode_confidence > 0.6): {expected}" in result.stdout
    written = pd.read_csv(out, index_col=0)
    assert list(written.columns) == hdf5.SEED_CSV_COLUMNS and len(written) == expected
    again = read_catalog(out)
    assert sorted(again["track_id"]) == sorted(written["track_id"])


def test_cli_and_its_csv_leave_out_confidences_exactly_at_the_threshold(tmp_path):
    frame = make_catalog_frame(5)
    frame["key_confidence"] = [0.75, 0.751, 0.8, 0.75, 0.9]
    frame["mode_confidence"] = [0.8, 0.751, 0.75, 0.75, 0.9]
    summary, out = hdf5.write_summary(tmp_path / "s.h5", frame), tmp_path / "sel.csv"
    result = subprocess.run([sys.executable, "-m", "core", "msd", str(summary), "--out", str(out)],
                            capture_output=True, text=True, check=True)
    assert "selected (key_confidence > 0.75, mode_confidence > 0.75): 2" in result.stdout
    assert pd.read_csv(out, index_col=0)["track_id"].tolist() == frame["track_id"].iloc[[1, 4]].tolist()


def _broken_files(tmp_path, summary_file):
    text = tmp_path / "notes.h5"
    text.write_text("this is not HDF5")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(summary_file.read_bytes()[: summary_file.stat().st_size // 3])
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as handle:
        handle["data"] = np.arange(10)
    missing_field = tmp_path / "missing_field.h5"
    hdf5.write_summary(missing_field, make_catalog_frame(5))
    with h5py.File(missing_field, "r+") as handle:
        del handle["/analysis/songs"]
        handle["/analysis/songs"] = np.zeros(5, dtype=[("track_id", "S32"), ("duration", "<f8")])
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("a,b\n1,2\n")
    return [text, truncated, empty, other, missing_field, bad_csv, tmp_path / "does-not-exist.h5",
            tmp_path / "no-h5-here"]


def test_broken_inputs_give_one_clear_error_naming_the_file(tmp_path, summary_file):
    (tmp_path / "no-h5-here").mkdir()
    for path in _broken_files(tmp_path, summary_file):
        with pytest.raises(MSDError) as info:
            read_catalog(path)
        assert str(path) in str(info.value)


def test_cli_reports_a_broken_file_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_text("nope")
    result = subprocess.run([sys.executable, "-m", "core", "msd", str(bad)], capture_output=True, text=True)
    assert result.returncode == 2
    assert str(bad) in result.stderr and "Traceback" not in result.stderr


def test_invalid_key_values_are_dropped(tmp_path):
    frame = make_catalog_frame(10)
    frame.loc[0, "key"] = -1
    frame.loc[1, "mode"] = 3
    assert len(read_catalog(hdf5.write_summary(tmp_path / "s.h5", frame))) == 8
