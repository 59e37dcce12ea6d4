"""Client-side limits for one Power BI dataset: at most N requests per sliding window and at most M in flight.

Staying under the service's limits is cheaper than being throttled (a 429 stalls every writer of the dataset
for Retry-After seconds). A 429 still pauses every caller through :meth:`pause_until`. The clock and sleep are
injectable so tests drive time instead of waiting for it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterator


class SlidingWindowLimiter:
    def __init__(
        self,
        max_requests: int = 120,
        window_seconds: float = 60.0,
        max_pending: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        safety_seconds: float | None = None,
    ):
        if max_requests < 1 or max_pending < 1 or window_seconds <= 0:
            raise ValueError("max_requests, max_pending and window_seconds must be positive")
        self.max_requests = max_requests
        self.window_seconds = window_seconds
        # The service starts its window when a request arrives, later than we sent it: a request sent exactly
        # one window after an older one can still land inside the server's window. Keep a small margin.
        self.safety_seconds = min(window_seconds * 0.05, 1.0) if safety_seconds is None else safety_seconds
        self.max_pending = max_pending
        self.clock = clock
        self.sleep = sleep
        self._sent: deque[float] = deque()
        self._not_before = 0.0
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_pending)
        self.waited_seconds = 0.0

    def acquire_slot(self) -> None:
        """Take one of the ``max_pending`` in-flight slots (blocks); another thread may release it."""
        self._slots.acquire()

    def release_slot(self) -> None:
        self._slots.release()

    @contextmanager
    def pending(self) -> Iterator[None]:
        """Hold one of the ``max_pending`` in-flight slots (blocks until one is free)."""
        self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()

    def wait_turn(self) -> None:
        """Block until a request may be sent under the window and any pause, then count it as sent."""
        while True:
            with self._lock:
                now = self.clock()
                span = self.window_seconds + self.safety_seconds
                while self._sent and self._sent[0] <= now - span:
                    self._sent.popleft()
                wait = self._not_before - now
                if len(self._sent) >= self.max_requests:
                    wait = max(wait, self._sent[0] + span - now)
                if wait <= 0:
                    self._sent.append(now)
                    return
            self.waited_seconds += wait
            self.sleep(wait)

    def pause_until(self, when: float) -> None:
        """Nobody sends before ``when`` (clock time): the server said Retry-After."""
        with self._lock:
            self._not_before = max(self._not_before, when)

    def sent_in_window(self) -> int:
        with self._lock:
            now = self.clock()
            return sum(1 for t in self._sent if t > now - self.window_seconds)
