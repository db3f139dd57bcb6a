"""Keyscope: musical key estimation with convolutional networks.

A plain Python package: everything the dashboard does is importable and
testable without Streamlit, and reachable as ``python -m core ...``.
"""
__version__ = "0.1.0"

from core.runtime import numba_cache as _numba_cache
from core.runtime import quiet as _quiet

_quiet.install()
_numba_cache.point_cache()
