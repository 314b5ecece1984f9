"""The public pages' rate limit counted in this worker's memory (issue 19 §3).

With RATELIMIT_STORAGE_URI memory:// every worker counts on its own whatever does the counting;
the `limits` library's memory storage also starts a timer thread to expire its keys whenever
the last one has ended, which under a stream of scans is every 10 ms, and the profile of a
cached bag page put a fifth of its time there. These fixed windows (aligned on the clock, one
per limit period) keep the same count with a dict and a lock and start no thread. With Redis
configured, PublicLimit asks Flask-Limiter's storage, so the count spans nodes, and counts in
these windows while Redis does not answer (redis_outage.py): a scan must not fail because Redis
did, and a script trying tokens is still stopped by each node on its own.
"""

import threading
import time

from coopchain.redis_outage import Outage

#: Flask-Limiter's scope of the public pages' counts (part of the key in its storage).
SCOPE = "public_trace"


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


class PublicLimit:
    """Counts the public pages' requests: in LocalWindows without a shared storage (memory://),
    else in Flask-Limiter's storage with its strategy, falling back to LocalWindows."""

    def __init__(self, limiter, shared: bool):
        self.limiter = limiter  # the flask_limiter.Limiter, whose storage may be Redis
        self.shared = shared
        self.windows = LocalWindows()
        self.outage = Outage("public pages' rate limit")

    def hit(self, limit, client: str) -> tuple[bool, float]:
        """Count one request of `client`; returns (allowed, when a refused client may come
        back)."""
        if self.shared and not self.outage.skipping():
            strategy = self.limiter.limiter
            try:
                if strategy.hit(limit, SCOPE, client):
                    allowed, reset_at = True, 0.0
                else:
                    allowed = False
                    reset_at = strategy.get_window_stats(limit, SCOPE, client).reset_time
            except self.limiter.storage.base_exceptions as error:  # Redis's errors, if Redis
                self.outage.failed(error)
            else:
                self.outage.answered()
                return allowed, reset_at
        return self.windows.hit(limit, client)
