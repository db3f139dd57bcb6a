"""A virtual environment in ``bench/out/venv`` with this checkout installed (``pip install .``), for the
benchmarks that run Keyscope as an installed package (the ``keyscope`` command, Dask workers), and a local
Dask cluster of separate processes (the benchmarks and ``tests/test_package.py`` use it).

System packages stay visible (``--system-site-packages``) and the install uses ``--no-deps
--no-build-isolation``, so nothing is downloaded; each call reinstalls, so the copy matches the checkout.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(python: str | Path, workers: int, cwd: Path, nice: int = 0):
    """``dask scheduler`` and ``workers`` one-thread ``dask worker`` processes run by ``python`` in ``cwd``
    (their log in ``cwd/dask.log``) with :func:`clean_env`; yields the scheduler's address once all are up."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = ["nice", "-n", str(nice), str(python), "-m", "dask"]
    log = (cwd / "dask.log").open("w")
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              cwd=cwd, env=clean_env(), stdout=log, stderr=log)]
    try:
        procs += [subprocess.Popen([*dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                                   cwd=cwd, env=clean_env(), stdout=log, stderr=log) for _ in range(workers)]
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"no scheduler on port {port} after 120 s; see {cwd / 'dask.log'}")
            time.sleep(0.5)
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=180)
        yield address
    finally:
        for proc in reversed(procs):  # workers first: a worker whose scheduler is gone keeps trying to reconnect
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
