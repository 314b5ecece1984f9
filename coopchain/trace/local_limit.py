"""The public pages' rate limit counted in this worker's memory (issue 19 §3).

With RATELIMIT_STORAGE_URI memory:// every worker counts on its own whatever does the counting;
the `limits` library's memory storage also starts a timer thread to expire its keys whenever
the last one has ended, which under a stream of scans is every 10 ms, and the profile of a
cached bag page put a fifth of its time there. These fixed windows (aligned on the clock, one
per limit period) keep the same count with a dict and a lock and start no thread. With Redis
configured, public_views asks Flask-Limiter's storage as before, so the count spans nodes.
"""

import threading
import time


class LocalWindows:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window: tuple[float, float] | None = None
        self._counts: dict[str, int] = {}

    def hit(self, limit, client: str, now: float | None = None) -> tuple[bool, float]:
        """Count one request of `client` against `limit` (a limits RateLimitItem); returns
        (allowed, the time its window ends)."""
        now = time.time() if now is None else now
        period = float(limit.get_expiry())
        start = now - now % period
        with self._lock:
            if self._window != (period, start):  # a new window: every count starts again
                self._window, self._counts = (period, start), {}
            count = self._counts[client] = self._counts.get(client, 0) + 1
        return count <= limit.amount, start + period
