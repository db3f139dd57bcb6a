"""Cached loaders shared by the pages. Paths pass the server's policy first (public mode: roots only)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.audio.index import attach_audio
from core.msd.hdf5 import read_catalog
from core.runtime.files import stamp
from ui.guard import within
from ui.settings import policy


@st.cache_resource(show_spinner="Reading the catalog…", max_entries=4)
def _catalog(path: str, modified: float, within: tuple[Path, ...] | None) -> pd.DataFrame:
    # cache_resource, not cache_data: a million-row frame is shared read-only
    # instead of being copied on every rerun. ``modified`` invalidates it when the file changes.
    return read_catalog(path, within=within)


def load_catalog(path: str | Path) -> pd.DataFrame:
    """The catalog at ``path``, read once per file version. Callers must not modify it.
    Raises ``core.service.access.OutsideRoots`` or ``BadPath`` (before looking at the path) for a path the policy
    forbids; a folder's walk never leaves the roots (``ui.guard.within``)."""
    path = policy().check(path)
    return _catalog(str(path), stamp(path), within())


@st.cache_resource(show_spinner="Looking for the tracks' audio…", max_entries=4)
def _with_audio(path: str, modified: float, audio: str, audio_modified: float,
                within: tuple[Path, ...] | None) -> pd.DataFrame:
    return attach_audio(_catalog(path, modified, within), audio, within)


def catalog_stamp(path: str | Path, audio: str | Path = "") -> tuple[float, float]:
    """The modification times of a catalog and its audio index: a version for cache keys."""
    return stamp(Path(path)), stamp(Path(audio)) if audio else 0.0


def load_catalog_with_audio(path: str | Path, audio: str | Path) -> pd.DataFrame:
    """The catalog plus ``audio_path`` and ``has_audio`` from an audio folder or labels CSV, cached
    per version of both. Raises ``LabelsError``, ``FileNotFoundError``, ``OutsideRoots`` or ``BadPath`` naming
    what is wrong; neither a folder walk nor a labels CSV's files leave the roots."""
    rules = policy()
    path, given, audio = rules.check(path), audio, rules.check(audio)
    if not audio.exists():
        raise FileNotFoundError(f"{given}: no such folder or labels CSV")
    return _with_audio(str(path), stamp(path), str(audio), stamp(audio), within())
