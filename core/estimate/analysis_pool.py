"""Untrusted audio is decoded and analysed in worker processes, so a native crash costs one request.

An :class:`AnalysisPool` holds ``workers`` slots, each a one-process ``ProcessPoolExecutor`` (``spawn``
context). A slot's process serves one request at a time and keeps the estimators it loaded (up to
:data:`MODELS_PER_WORKER`) between requests. When a process dies (a segfault in a decoder or in numba
code, the OOM killer, a ``kill``), only the request it was serving fails, with :class:`AnalysisCrashed`
("the analysis crashed; try again"); that slot gets a fresh process on its next request, after numba's
cache is probed again (:func:`core.runtime.numba_cache.ensure`), and the other slots keep theirs. Memory stays
bounded: a process is replaced after ``max_tasks`` requests, and all processes exit after ``idle_s``
seconds without requests (the next request starts them again). A request that runs longer than
``timeout_s`` (a decoder that hangs) has its process killed and fails with :class:`AnalysisTimedOut`.
Workers run :data:`NICENESS` steps nicer than the server, so page renders go first when the cores are busy.
"""
from __future__ import annotations

import os
import queue
import sys
import threading
import types
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import context, popen_spawn_posix
from typing import Any, Callable

from core.errors import KeyscopeError
from core.runtime import numba_cache

CRASHED = "the analysis crashed; try again"
MODELS_PER_WORKER = 4
MAX_TASKS = 50
IDLE_S = 300.0
TIMEOUT_S = 600.0  # a 10-minute song takes about 10 s on 2 busy cores; a request still running after this hangs
NICENESS = 10  # 5 before: bench/load.py, 8 tabs, 3 runs each: keys and a fresh page both sooner at 10


class AnalysisCrashed(KeyscopeError, RuntimeError):
    """The worker process analysing this request died; the next request gets a fresh one."""

    def __init__(self, message: str = CRASHED) -> None:
        super().__init__(message)


class AnalysisTimedOut(AnalysisCrashed):
    """The request ran past the pool's ``timeout_s``; its worker process was killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the analysis took longer than {seconds:.0f} s and was stopped; try a shorter file")


_estimators: OrderedDict[str, Any] = OrderedDict()  # per worker process: name -> loaded estimator


def worker_estimator(name: str):
    """The estimator ``name``, loaded once per worker process (the least recently used is dropped beyond
    :data:`MODELS_PER_WORKER`)."""
    if name in _estimators:
        _estimators.move_to_end(name)
        return _estimators[name]
    from core.estimate.estimators import load_estimator

    _estimators[name] = estimator = load_estimator(name)
    while len(_estimators) > MODELS_PER_WORKER:
        _estimators.popitem(last=False)
    return estimator


def predict_task(data: bytes, filename: str, model: str, window_s: float, hop_s: float) -> dict:
    """In a worker: :func:`core.estimate.song.predict_song` of uploaded bytes, as its dict."""
    from core.estimate.song import predict_song

    return predict_song(data, worker_estimator(model), name=filename, window_s=window_s, hop_s=hop_s).to_dict()


class _Popen(popen_spawn_posix.Popen):
    """Spawn's launcher, leaving out the parent's ``__main__``: in Streamlit that is the page script (its
    runner puts it in ``sys.modules``), which spawn would otherwise run again in every worker."""

    def _launch(self, process_obj) -> None:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            super()._launch(process_obj)
        finally:
            sys.modules["__main__"] = main


class _Process(context.SpawnProcess):
    @staticmethod
    def _Popen(process_obj):
        return _Popen(process_obj)


class _SpawnContext(context.SpawnContext):
    Process = _Process


class _Slot:
    """One worker process (started on first use) and whether it serves a request now."""

    def __init__(self) -> None:
        self.executor: ProcessPoolExecutor | None = None
        self.busy = False


class AnalysisPool:
    """``workers`` worker processes; :meth:`call` runs a function in a free one (waiting for one if all
    are busy). ``idle_s=None``: workers never exit for idleness."""

    def __init__(self, workers: int = 2, max_tasks: int = MAX_TASKS, idle_s: float | None = IDLE_S,
                 timeout_s: float = TIMEOUT_S) -> None:
        self.workers, self.max_tasks, self.idle_s, self.timeout_s = max(1, int(workers)), max_tasks, idle_s, timeout_s
        self._slots = [_Slot() for _ in range(self.workers)]
        self._free: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        for slot in self._slots:
            self._free.put(slot)
        self._lock = threading.Lock()
        self._in_flight = 0
        self._idle_timer: threading.Timer | None = None
        self._recheck = False  # a worker died: probe numba's cache before starting the next one

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        """``func(*args)`` in a worker process (``func`` importable, arguments and result picklable).
        Exceptions the function raises come back as they are; a worker that dies raises
        :class:`AnalysisCrashed`."""
        slot = self._free.get()  # this thread's alone until put back; the idle timer waits for in-flight calls
        try:
            with self._lock:
                self._in_flight += 1
                if self._idle_timer is not None:
                    self._idle_timer.cancel()
                    self._idle_timer = None
            if slot.executor is None:
                with self._lock:
                    recheck, self._recheck = self._recheck, False
                numba_cache.ensure(recheck=recheck)  # under its own file lock, not the pool's
                slot.executor = ProcessPoolExecutor(1, mp_context=_SpawnContext(), initializer=os.nice,
                                                    initargs=(NICENESS,), max_tasks_per_child=self.max_tasks)
            executor = slot.executor
            slot.busy = True
            try:
                return executor.submit(func, *args).result(timeout=self.timeout_s)
            except BrokenProcessPool:
                self._drop(slot, executor, recheck=True)
                raise AnalysisCrashed() from None
            except FutureTimeout:
                for process in list((getattr(executor, "_processes", None) or {}).values()):
                    process.kill()
                    process.join(timeout=5)  # reaped: no zombie left
                self._drop(slot, executor, recheck=False)
                raise AnalysisTimedOut(self.timeout_s) from None
        finally:
            slot.busy = False
            with self._lock:
                self._in_flight -= 1
                if self._in_flight == 0 and self.idle_s is not None:
                    self._idle_timer = threading.Timer(self.idle_s, self._stop_if_idle)
                    self._idle_timer.daemon = True
                    self._idle_timer.start()
            self._free.put(slot)

    def _drop(self, slot: _Slot, executor: ProcessPoolExecutor, recheck: bool) -> None:
        """Forget a slot's broken or killed process (the slot starts a fresh one on its next request);
        ``recheck``: probe numba's cache first (the process may have died in it)."""
        with self._lock:
            executor.shutdown(wait=False, cancel_futures=True)
            if slot.executor is executor:
                slot.executor = None
            self._recheck = self._recheck or recheck

    def predict(self, data: bytes, filename: str, model: str, window_s: float, hop_s: float) -> dict:
        """The prediction dict of an uploaded song, computed in a worker (:func:`predict_task`)."""
        return self.call(predict_task, data, filename, model, window_s, hop_s)

    def pids(self, busy: bool = False) -> list[int]:
        """Process ids of the running workers (``busy``: only those serving a request now)."""
        found = []
        with self._lock:
            for slot in self._slots:
                processes = getattr(slot.executor, "_processes", None) or {}
                if not busy or slot.busy:
                    found.extend(pid for pid, process in list(processes.items()) if process.is_alive())
        return found

    def _stop_if_idle(self) -> None:
        with self._lock:
            if self._in_flight == 0:
                self._shutdown_locked()

    def _shutdown_locked(self) -> None:
        for slot in self._slots:
            if slot.executor is not None:
                slot.executor.shutdown(wait=False, cancel_futures=True)
                slot.executor = None

    def shutdown(self) -> None:
        """Stop every worker now (they start again on the next request)."""
        with self._lock:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            self._shutdown_locked()
