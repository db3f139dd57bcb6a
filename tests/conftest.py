"""Shared fixtures: catalogs written in the real MSD layout."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.msd import hdf5


def make_catalog_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A catalog of ``n`` made-up tracks with the MSD's columns and uniform random confidences."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "track_id": [f"TR{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}{i:014X}" for i in range(n)],
        "song_id": [f"SO{i:016X}" for i in range(n)],
        "artist_name": [f"Artist {i % 17}" for i in range(n)],
        "title": [f"Song number {i}" for i in range(n)],
        "release": [f"Album {i % 5}" for i in range(n)],
        "year": np.where(rng.random(n) < 0.2, 0, rng.integers(1960, 2011, n)),
        "duration": rng.uniform(60, 400, n),
        "tempo": rng.uniform(60, 180, n),
        "loudness": rng.uniform(-30, 0, n),
        "key": rng.integers(0, 12, n),
        "key_confidence": rng.random(n),
        "mode": rng.integers(0, 2, n),
        "mode_confidence": rng.random(n),
    })


def train_page_config(data: str):
    """The RunConfig the Train page builds for its default (keynet preset) settings and ``tr_data=data``."""
    from core.models.config import PRESETS, RunConfig
    from core.models.representations import REPRESENTATIONS

    preset = PRESETS["keynet"]
    return RunConfig(model=preset["model"], representation=preset["representation"],
                     input_shape=REPRESENTATIONS[preset["representation"]].input_shape, loss=preset["loss"],
                     optimizer=preset["optimizer"], lr=float(preset["lr"]), momentum=float(preset["momentum"]),
                     epochs=RunConfig().epochs, batch_size=int(preset["batch_size"]), augment=preset["augment"],
                     data=data, split_seed=RunConfig().split_seed)


@pytest.fixture
def catalog_frame() -> pd.DataFrame:
    return make_catalog_frame()


@pytest.fixture
def summary_file(tmp_path, catalog_frame):
    """A small ``msd_summary_file.h5`` in the MSD layout."""
    return hdf5.write_summary(tmp_path / "msd_summary_file.h5", catalog_frame)
