"""Where Keyscope keeps things. Each location can be moved with an environment variable."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


DATA_DIR = _env_path("KEYSCOPE_DATA", ROOT / "data")
MODELS_DIR = _env_path("KEYSCOPE_MODELS", ROOT / "models")
RUNS_DIR = _env_path("KEYSCOPE_RUNS", ROOT / "runs")
CACHE_DIR = _env_path("KEYSCOPE_CACHE", ROOT / ".cache")
# The shipped model "default" names (models/README.md); other folders of MODELS_DIR load by their name.
DEFAULT_MODEL_DIR = MODELS_DIR / "eqkey-default"

# The bundled corpus (see data/README.md): metadata in the MSD summary layout,
# audio in the seed's <key>-<mode>/<TRACK_ID>.<ext> folders, precomputed features.
CORPUS_DIR = DATA_DIR / "corpus"
DEFAULT_CATALOG = CORPUS_DIR / "msd_summary_file.h5"
DEFAULT_AUDIO_DIR = CORPUS_DIR / "audio"
