"""Cached loaders shared by the pages."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.msd import read_catalog


@st.cache_resource(show_spinner="Reading the catalog…", max_entries=4)
def _catalog(path: str, modified: float) -> pd.DataFrame:
    # cache_resource, not cache_data: a million-row frame is shared read-only
    # instead of being copied on every rerun. ``modified`` invalidates it when the file changes.
    return read_catalog(path)


def load_catalog(path: str | Path) -> pd.DataFrame:
    """The catalog at ``path``, read once per file version. Callers must not modify it."""
    path = Path(path).expanduser()
    return _catalog(str(path), path.stat().st_mtime if path.exists() else 0.0)
