"""Run one function over many argument tuples on all cores (joblib) or on a Dask cluster, in order."""
from __future__ import annotations

import sys
from typing import Any, Callable, Iterable, Iterator

from core.errors import KeyscopeError


class ClusterError(KeyscopeError, RuntimeError):
    """A Dask cluster that cannot run Keyscope's work; the message is one line saying what to do."""


def keyscope_version() -> str:
    """The Keyscope version this process imports, or why it cannot (runs on the scheduler and each worker;
    sent by value, so a process without Keyscope can still run it and say so)."""
    try:
        from core import __version__
    except ImportError as err:
        return f"no Keyscope ({err})"
    return __version__


def check_cluster(client) -> None:
    """Raise :class:`ClusterError` unless the scheduler and at least one worker behind ``client`` import
    Keyscope at this process's version (else the first task fails to deserialize with a long traceback)."""
    import cloudpickle

    from core import __version__

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        found = {"scheduler": client.run_on_scheduler(keyscope_version), **client.run(keyscope_version)}
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    address = client.scheduler.address
    if len(found) == 1:
        raise ClusterError(f"the Dask scheduler at {address} has no workers; start some with `dask worker {address}`")
    wrong = {where: version for where, version in found.items() if version != __version__}
    if wrong:
        where, version = next(iter(wrong.items()))
        raise ClusterError(f"{len(wrong)} of {len(found)} Dask processes at {address} cannot run Keyscope "
                           f"{__version__} ({where}: {version}); install this Keyscope where the scheduler and "
                           "every worker run (`pip install .` in this checkout) and restart them")


def connect(address: str, timeout_s: float = 5.0):
    """A Dask client of the scheduler at ``address``, checked with :func:`check_cluster`; a scheduler that
    does not answer within ``timeout_s`` is a :class:`ClusterError` at once (not the client's 30 s wait)."""
    import socket

    from distributed import Client

    host, _, port = address.removeprefix("tcp://").rpartition(":")
    try:
        if "://" not in address.removeprefix("tcp://"):  # a TCP address (not inproc://): a quick look first
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
        client = Client(address, timeout=max(timeout_s, 10.0))
    except (OSError, ValueError) as err:
        raise ClusterError(f"no Dask scheduler reachable at {address} ({err})") from None
    try:
        check_cluster(client)
    except BaseException:
        client.close()
        raise
    return client


def check_scheduler(address: str) -> None:
    """Raise :class:`ClusterError` (one line) unless the cluster at ``address`` can run Keyscope's work: what a
    command calls before starting, so a wrong cluster fails before any progress bar."""
    connect(address).close()


def imap(func: Callable[..., Any], calls: Iterable[tuple], jobs: int = 1, scheduler: str | None = None,
         shared: tuple = ()) -> Iterator[Any]:
    """Yield ``func(*shared, *args)`` for each ``args`` in ``calls``, in order: ``jobs`` joblib processes, or
    the Dask cluster at ``scheduler`` (``tcp://host:8786``, checked by :func:`connect`) when one is given, where
    ``shared`` (a model, say) is sent to each worker once. Numba's cache is made sound first
    (:func:`core.runtime.numba_cache.ensure`), so concurrent workers never compile librosa's functions at once."""
    from core.runtime.numba_cache import ensure

    calls = list(calls)
    if scheduler:
        with connect(scheduler) as client:
            client.run(ensure)  # each worker's numba cache compiled once, under its lock, before the work
            shared = tuple(client.scatter(list(shared), broadcast=True)) if shared else ()
            futures = [client.submit(func, *shared, *args, pure=False) for args in calls]
            for future in futures:  # in order, so results line up with calls
                yield future.result()
        return
    from joblib import Parallel, delayed

    if jobs != 1:
        ensure()  # numba's cache compiled once here, so the workers only load it

    yield from Parallel(n_jobs=jobs, return_as="generator")(delayed(func)(*shared, *args) for args in calls)
