"""Remembering that Redis stopped answering, so what it holds for every node (the public page
cache, its render lock, the public pages' rate limit) is done in this process meanwhile.

While Redis is down each request would otherwise wait for it again: a refused connection costs
little, but a hung server costs the whole socket timeout (REDIS_TIMEOUT_S) on every call. So
after a failure Redis is left alone for RETRY_AFTER_S, then tried again by the next request.
The log says so once a minute per process and purpose, not once per request: a warehouse of
buyers scanning during an outage would otherwise bury everything else in the log.
"""

import logging
import threading
import time

#: Seconds Redis is not asked after it failed; then the next request tries it again.
RETRY_AFTER_S = 5.0
#: At most one warning per this many seconds, per process and purpose.
LOG_EVERY_S = 60.0

log = logging.getLogger(__name__)


class Outage:
    def __init__(
        self,
        purpose: str,
        retry_after_s: float = RETRY_AFTER_S,
        log_every_s: float = LOG_EVERY_S,
        clock=time.monotonic,
    ):
        self.purpose = purpose
        self.retry_after_s = retry_after_s
        self.log_every_s = log_every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._retry_at: float | None = None  # None: Redis answered last time
        self._logged_at: float | None = None
        self._failures = 0

    def skipping(self) -> bool:
        """Whether Redis failed less than `retry_after_s` ago (do it in this process)."""
        retry_at = self._retry_at
        return retry_at is not None and self._clock() < retry_at

    def failed(self, error: Exception) -> None:
        now = self._clock()
        with self._lock:
            self._retry_at = now + self.retry_after_s
            self._failures += 1
            if self._logged_at is not None and now - self._logged_at < self.log_every_s:
                return
            self._logged_at, failures, self._failures = now, self._failures, 0
        log.warning(
            "Redis does not answer for the %s (%s: %s): done in this process until it does "
            "(%d failure(s) since the last warning)",
            self.purpose,
            type(error).__name__,
            error,
            failures,
        )

    def answered(self) -> None:
        if self._retry_at is None:  # the common case: no lock, nothing to say
            return
        with self._lock:
            was_down, self._retry_at = self._retry_at is not None, None
        if was_down:
            log.warning("Redis answers again for the %s", self.purpose)
