"""Jobs whose message could not be sent after their commit (the queue's Redis was down or
restarting): this process sends them again every RESEND_S until the queue takes them, so a job
starts within seconds of Redis coming back instead of waiting JOBS_REQUEUE_AFTER_S (5 minutes)
for a worker's reaper. After that long the reaper sends it (job_rows.abandoned) and this
process stops trying; the reaper is also the safety net for a process that stops meanwhile. A
job sent twice still runs once (job_rows.claim takes it for one worker).
"""

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Seconds between attempts: a job starts soon after Redis is back, and a Redis still down is
#: asked once per pending job every few seconds, not in a loop.
RESEND_S = 5.0


class Resender:
    """The jobs of this process still to send, and the one thread sending them while any is
    pending (started by the first, gone with the last)."""

    def __init__(self, interval: float = RESEND_S) -> None:
        self.interval = interval
        #: job id -> (the queue's run_job, monotonic time after which the reaper has it)
        self._pending: dict[int, tuple[Callable[[int], object], float]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, send: Callable[[int], object], job_id: int, give_up_after: float) -> None:
        """Send job `job_id` with `send` (the queue's run_job) until it goes through, for at
        most `give_up_after` seconds (the queue's requeue_after: then the reaper sends it)."""
        with self._lock:
            self._pending[job_id] = (send, time.monotonic() + give_up_after)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="job-resend", daemon=True)
                self._thread.start()

    def pending(self) -> list[int]:
        with self._lock:
            return sorted(self._pending)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._lock:
                batch = list(self._pending.items())
            for job_id, (send, give_up_at) in batch:
                try:
                    send(job_id)
                except Exception:  # noqa: BLE001  (still down: the next round tries again)
                    if time.monotonic() < give_up_at:
                        continue
                    log.warning("Job %s still not sent: left to the reaper", job_id)
                else:
                    log.info("Job %s sent to the queue again", job_id)
                with self._lock:
                    self._pending.pop(job_id, None)
            with self._lock:
                if not self._pending:
                    self._thread = None  # under the lock: add() starts a new one if needed
                    return


#: The process's one resender (coopchain/jobs.py feeds it).
RESENDER = Resender()
