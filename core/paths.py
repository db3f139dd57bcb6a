"""Where Keyscope keeps things. Each location can be moved with an environment variable.

In a checkout everything is beside ``core/``. An installed package (``pip install .``) carries the shipped
``models/`` and ``data/`` in ``core/_shipped/`` and keeps runs and caches in ``~/.keyscope``
(``KEYSCOPE_HOME``), since site-packages is no place to write.
"""
from __future__ import annotations

import os
from pathlib import Path

_INSTALLED_FILES = Path(__file__).resolve().parent / "_shipped"
INSTALLED = _INSTALLED_FILES.is_dir()
ROOT = _INSTALLED_FILES if INSTALLED else Path(__file__).resolve().parent.parent


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


DATA_DIR = _env_path("KEYSCOPE_DATA", ROOT / "data")
MODELS_DIR = _env_path("KEYSCOPE_MODELS", ROOT / "models")
_WORK = _env_path("KEYSCOPE_HOME", Path.home() / ".keyscope") if INSTALLED else ROOT
RUNS_DIR = _env_path("KEYSCOPE_RUNS", _WORK / "runs")
CACHE_DIR = _env_path("KEYSCOPE_CACHE", _WORK / ".cache")
# The shipped model "default" names (models/README.md); other folders of MODELS_DIR load by their name.
DEFAULT_MODEL_DIR = MODELS_DIR / "eqkey-default"

# The bundled corpus (see data/README.md): metadata in the MSD summary layout,
# audio in the seed's <key>-<mode>/<TRACK_ID>.<ext> folders, precomputed features.
CORPUS_DIR = DATA_DIR / "corpus"
DEFAULT_CATALOG = CORPUS_DIR / "msd_summary_file.h5"
DEFAULT_AUDIO_DIR = CORPUS_DIR / "audio"
