"""Run one function over many argument tuples on all cores (joblib) or on a Dask cluster, in order."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator


def imap(func: Callable[..., Any], calls: Iterable[tuple], jobs: int = 1, scheduler: str | None = None) -> Iterator[Any]:
    """Yield ``func(*args)`` for each ``args`` in ``calls``, in order: ``jobs`` joblib processes, or the
    Dask cluster at ``scheduler`` (``tcp://host:8786``) when one is given. Numba's cache is made sound first
    (:func:`core.numba_cache.ensure`), so concurrent workers never compile librosa's functions at once."""
    from core.numba_cache import ensure

    calls = list(calls)
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            client.run(ensure)  # each worker's numba cache compiled once, under its lock, before the work
            futures = [client.submit(func, *args, pure=False) for args in calls]
            for future in futures:  # in order, so results line up with calls
                yield future.result()
        return
    from joblib import Parallel, delayed

    if jobs != 1:
        ensure()  # numba's cache compiled once here, so the workers only load it

    yield from Parallel(n_jobs=jobs, return_as="generator")(delayed(func)(*args) for args in calls)
