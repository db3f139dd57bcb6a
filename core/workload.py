"""A small gate all sessions share, so a crowd queues for heavy analyses instead of starving each other."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator


class Gate:
    """At most ``slots`` holders at once; the others wait their turn (FIFO-ish: threads wake in turn)."""

    def __init__(self, slots: int) -> None:
        self.slots = max(1, int(slots))
        self._semaphore = threading.BoundedSemaphore(self.slots)
        self._lock = threading.Lock()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many callers are waiting for a slot now."""
        return self._waiting

    @contextmanager
    def slot(self, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        """Hold a slot for the ``with`` block; ``on_wait(ahead)`` is called once if the caller must wait."""
        if not self._semaphore.acquire(blocking=False):
            with self._lock:
                self._waiting += 1
                ahead = self._waiting
            if on_wait:
                on_wait(ahead)
            try:
                self._semaphore.acquire()
            finally:
                with self._lock:
                    self._waiting -= 1
        try:
            yield
        finally:
            self._semaphore.release()
