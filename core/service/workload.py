"""A small gate all sessions share, so a crowd queues for heavy analyses instead of starving each other."""
from __future__ import annotations

import heapq
import itertools
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

KEY, EXTRA = 0, 1  # priorities: a visitor's key goes before anyone's baselines or evaluations


class Gate:
    """At most ``slots`` holders at once. Waiters are let in by priority (lower first), then in
    order of arrival, so the extras one visitor asked for never hold back another visitor's key."""

    def __init__(self, slots: int) -> None:
        self.slots = max(1, int(slots))
        self._changed = threading.Condition()
        self._busy = 0
        self._queue: list[tuple[int, int]] = []  # heap of (priority, ticket)
        self._tickets = itertools.count()

    @property
    def waiting(self) -> int:
        """How many callers are waiting for a slot now."""
        return len(self._queue)

    @contextmanager
    def slot(self, on_wait: Callable[[int], None] | None = None, priority: int = KEY) -> Iterator[None]:
        """Hold a slot for the ``with`` block; ``on_wait(place)`` is called once (outside the gate's
        lock) if the caller must wait, with its place in the line (1: next)."""
        with self._changed:
            entry = (priority, next(self._tickets))
            must_wait = self._busy >= self.slots or bool(self._queue)
            if must_wait:
                heapq.heappush(self._queue, entry)
                place = sum(other <= entry for other in self._queue)  # 1 = next in line
            else:
                self._busy += 1
        if must_wait:
            try:
                if on_wait:
                    on_wait(place)
                with self._changed:
                    self._changed.wait_for(lambda: self._busy < self.slots and self._queue[0] == entry)
                    heapq.heappop(self._queue)
                    self._busy += 1
                    self._changed.notify_all()  # a second free slot may let the next one in too
            except BaseException:  # a stopped script leaves the line, or it would block everyone behind it
                with self._changed:
                    if entry in self._queue:
                        self._queue.remove(entry)
                        heapq.heapify(self._queue)
                        self._changed.notify_all()
                raise
        try:
            yield
        finally:
            with self._changed:
                self._busy -= 1
                self._changed.notify_all()
