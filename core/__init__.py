"""Keyscope: musical key estimation with convolutional networks.

A plain Python package: everything the dashboard does is importable and
testable without Streamlit, and reachable as ``python -m core ...``.

Sub-packages in the order data moves: ``runtime`` and ``service`` (plumbing and the service-side rules
every stage may ask), ``msd`` (metadata and the catalog), ``audio`` (decoding, features, their store),
``models`` (networks, representations, the run store), ``estimate`` (a song's key), ``data`` (training
data), ``evaluation``, ``training``; ``library`` (a DJ's library) and ``commands`` use them all.
"""
__version__ = "0.1.0"

from core.runtime import numba_cache as _numba_cache
from core.runtime import quiet as _quiet

_quiet.install()
_numba_cache.point_cache()
