"""A virtual environment in ``bench/out/venv`` with this checkout installed (``pip install .``), for the
benchmarks that run Keyscope as an installed package: the ``keyscope`` command, Dask workers.

System packages stay visible (``--system-site-packages``) and the install uses ``--no-deps
--no-build-isolation``, so nothing is downloaded; each call reinstalls, so the copy matches the checkout.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / "out" / "venv"


def clean_env() -> dict[str, str]:
    """This environment without anything that would put the checkout on a child's path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def installed_venv() -> Path:
    """``bench/out/venv`` with the checkout freshly installed into it; returns the folder."""
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--force-reinstall", str(ROOT)], check=True, env=clean_env(), cwd=VENV)
    return VENV
