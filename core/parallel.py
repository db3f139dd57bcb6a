"""Run one function over many argument tuples on all cores (joblib) or on a Dask cluster, in order."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator


def imap(func: Callable[..., Any], calls: Iterable[tuple], jobs: int = 1, scheduler: str | None = None) -> Iterator[Any]:
    """Yield ``func(*args)`` for each ``args`` in ``calls``, in order: ``jobs`` joblib processes, or the
    Dask cluster at ``scheduler`` (``tcp://host:8786``) when one is given."""
    calls = list(calls)
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            futures = [client.submit(func, *args, pure=False) for args in calls]
            for future in futures:  # in order, so results line up with calls
                yield future.result()
        return
    from joblib import Parallel, delayed

    yield from Parallel(n_jobs=jobs, return_as="generator")(delayed(func)(*args) for args in calls)
