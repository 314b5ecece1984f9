"""The task queue: long work runs as jobs in `coopchain worker` processes, never in a web
request (DESIGN.md §7).

Huey carries the messages: SQLite storage in instance/ by default (nothing to install), Redis
when JOBS_QUEUE_URL is set, so N web nodes and M workers on other machines share one queue.
The `jobs` table (job_rows.py) holds what a job is and how far it got; a message only says
"run job 42". A task is a function registered under a name with `@task("kind")`; it receives
a JobContext and the job's JSON arguments, reports progress through the context and returns
a JSON-able result. Anything can plug in a task (the plot importer, a test) by registering a
name: `submit(session, org, user, "kind", {...})` is the one way to start one.

Nothing is lost to a worker killed mid-job: its lease on the row runs out, a reaper in every
worker sends the job again, another worker takes it (tasks resume from what they committed:
a forest assessment measures only plots without evidence from it) and only the holder of the
lease may complete it. Tests run tasks in the caller (JOBS_IMMEDIATE).
"""

import importlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import redis
from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from coopchain import job_rows
from coopchain.db import begin_write
from coopchain.errors import DomainError
from coopchain.job_resend import RESENDER
from coopchain.job_rows import Job

log = logging.getLogger(__name__)

#: Modules that register tasks when imported (each domain's jobs live with the domain).
TASK_MODULES = (
    "coopchain.forest.assessment_jobs",
    "coopchain.payments.run_jobs",
    "coopchain.trace.label_jobs",
    "coopchain.spreadsheets.import_jobs",
    "coopchain.certs.certificate_jobs",
    "coopchain.certs.eudr_jobs",
    "coopchain.certs.bundle_jobs",
    "coopchain.eudr.dds_jobs",
    "coopchain.eudr.filing_jobs",
    "coopchain.fieldtools.import_jobs",
)

#: kind -> the task function; filled by @task at import.
TASKS: dict[str, Callable] = {}
#: kind -> function(job) giving the staff URL of what the job made, for the status page.
RESULT_PAGES: dict[str, Callable[[Job], str | None]] = {}

_PENDING = "coopchain.jobs.pending"
#: Seconds a call to the queue's Redis may wait for its answer (see make_huey).
QUEUE_READ_TIMEOUT_S = 10.0


class LeaseLost(Exception):
    """The job was taken over by another worker (this one stalled past its lease): stop."""


def task(kind: str, result_page: Callable[[Job], str | None] | None = None):
    """Register `fn(ctx, **arguments) -> dict | None` as the task `kind`."""

    def register(fn):
        TASKS[kind] = fn
        if result_page:
            RESULT_PAGES[kind] = result_page
        return fn

    return register


@dataclass
class JobContext:
    """What a running task gets: its job, a session factory, and `progress(done, total)`."""

    job_id: int
    organization_id: int
    user_id: int | None
    sessionmaker: Callable[[], Session]
    owner: str
    lease: timedelta

    def attach(self, session: Session, filename: str, content_type: str, data: bytes) -> None:
        """Keep a file the job made (downloaded from its page); commit it with complete()."""
        session.add(
            job_rows.JobFile(
                organization_id=self.organization_id,
                job_id=self.job_id,
                purpose="output",
                filename=filename,
                content_type=content_type,
                data=data,
            )
        )

    def deliver_file(self, filename: str, content_type: str, data: bytes, result: dict) -> dict:
        """Keep the file the job made and record the job finished, in a write transaction of
        their own; returns `result`. Tasks call it after closing the session they read in: the
        progress and the heartbeat commit from other connections meanwhile, and on SQLite a
        transaction that read before such a commit may not write after it ("database is
        locked"), while one holding the write lock from the start would block those commits,
        and every clerk's, for the whole job."""
        session = begin_write(self.sessionmaker())
        try:
            self.attach(session, filename, content_type, data)
            self.complete(session, result)
            session.commit()
            return result
        finally:
            session.close()

    def input_file(self, session: Session) -> bytes:
        """The file submitted with the job (an uploaded workbook)."""
        return job_rows.job_file(session, self.organization_id, self.job_id, "input").data

    def complete(self, session: Session, result: dict) -> None:
        """For tasks whose writes must happen once: record the job finished in `session`'s
        transaction (the task then commits both together). Raises LeaseLost, so the task rolls
        back, when another worker has taken the job over."""
        if not job_rows.complete_in(session, self.job_id, self.owner, result):
            raise LeaseLost(self.job_id)

    def progress(self, done: int, total: int) -> None:
        """Record progress and renew the lease; raises LeaseLost when the job is not ours."""
        session = self.sessionmaker()
        try:
            if not job_rows.renew(session, self.job_id, self.owner, self.lease, (done, total)):
                raise LeaseLost(self.job_id)
        finally:
            session.close()


#: A job's progress is written at most about this many times: each write is a transaction.
PROGRESS_WRITES = 50


def sparse(progress: Callable[[int, int], None]) -> Callable[[int, int], None]:
    """`progress`, called for every item, written only every total/PROGRESS_WRITES items and
    at the end (a per-row progress of 2,000 rows would be 2,000 commits)."""

    def report(done: int, total: int) -> None:
        if done == total or done % max(1, total // PROGRESS_WRITES) == 0:
            progress(done, total)

    return report


@dataclass
class Queue:
    """One app's queue: its Huey, the task that runs a job, and the settings of leases."""

    huey: object
    run_job: Callable
    sessionmaker: Callable[[], Callable[[], Session]]
    lease: timedelta
    max_attempts: int
    requeue_after: timedelta

    @property
    def immediate(self) -> bool:
        return bool(self.huey.immediate)


def init_app(app: Flask) -> None:
    for module in (*TASK_MODULES, *app.config["JOBS_TASK_MODULES"]):
        importlib.import_module(module)
    huey = make_huey(app.config, app.instance_path)
    lease = timedelta(seconds=app.config["JOBS_LEASE_S"])
    max_attempts = app.config["JOBS_MAX_ATTEMPTS"]

    def sessions():
        return app.extensions["coopchain.db"].sessionmaker

    # Huey's retries cover an exception in a task; a dead worker is covered by the lease.
    @huey.task(name="coopchain.run_job", retries=max_attempts - 1, retry_delay=2)
    def run_job(job_id: int) -> None:
        with app.app_context():
            execute(sessions(), job_id, lease, max_attempts)

    app.extensions["coopchain.jobs"] = Queue(
        huey=huey,
        run_job=run_job,
        sessionmaker=sessions,
        lease=lease,
        max_attempts=max_attempts,
        requeue_after=timedelta(seconds=app.config["JOBS_REQUEUE_AFTER_S"]),
    )


def make_huey(config, instance_path: str):
    name = config["JOBS_QUEUE_NAME"]
    immediate = config["JOBS_IMMEDIATE"]
    if immediate if immediate is not None else config["COOPCHAIN_ENV"] == "test":
        return MemoryHuey(name, immediate=True, results=False)
    if config["JOBS_QUEUE_URL"]:
        # A hung Redis then fails the send (logged; the reaper sends the job again) instead of
        # holding the staff's request for ever. Reads may wait longer than REDIS_TIMEOUT_S: a
        # worker's blocking pop waits up to huey's read_timeout (1 s) for a message.
        pool = redis.ConnectionPool.from_url(
            config["JOBS_QUEUE_URL"],
            socket_connect_timeout=config["REDIS_TIMEOUT_S"],
            socket_timeout=QUEUE_READ_TIMEOUT_S,
        )
        return RedisHuey(name, connection_pool=pool, results=False)
    path = config["JOBS_QUEUE_FILE"] or str(Path(instance_path) / "huey.sqlite")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return SqliteHuey(name, filename=path, results=False)


def queue(app: Flask | None = None) -> Queue:
    return (app or current_app).extensions["coopchain.jobs"]


def submit(
    session: Session,
    org_id: int,
    user_id: int | None,
    kind: str,
    arguments: dict,
    *,
    input_file: tuple[str, str, bytes] | None = None,
) -> Job:
    """Record a job and send it to the workers once `session` commits (a worker must find the
    row). In immediate mode (tests) it runs in the caller, right after that commit. Flushes,
    never commits."""
    if kind not in TASKS:
        raise ValueError(f"no task registered as {kind!r}")
    job = Job(organization_id=org_id, user_id=user_id, kind=kind, arguments=arguments)
    session.add(job)
    session.flush()
    if input_file:  # (filename, content type, bytes): an upload the task reads
        name, content_type, data = input_file
        session.add(
            job_rows.JobFile(
                organization_id=org_id,
                job_id=job.id,
                purpose="input",
                filename=name[:200],
                content_type=content_type[:100],
                data=data,
            )
        )
        session.flush()
    app_queue = queue()
    resend_for = app_queue.requeue_after.total_seconds()
    session.info.setdefault(_PENDING, []).append((app_queue.run_job, job.id, resend_for))
    return job


@event.listens_for(OrmSession, "after_commit")
def _send_after_commit(session) -> None:
    for run_job, job_id, resend_for in session.info.pop(_PENDING, []):
        try:
            run_job(job_id)
        except Exception:  # the queue is down: sent again from here once it is back
            log.exception("Job %s could not be sent to the queue; retrying", job_id)
            RESENDER.add(run_job, job_id, resend_for)


@event.listens_for(OrmSession, "after_rollback")
def _forget_after_rollback(session) -> None:
    session.info.pop(_PENDING, None)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def execute(sessionmaker, job_id: int, lease: timedelta, max_attempts: int) -> None:
    """Run job `job_id` here if no live worker holds it: claim it, run its task with a
    heartbeat renewing the lease, and record its end if it is still ours."""
    owner = worker_name()
    session = sessionmaker()
    try:
        job = job_rows.claim(session, job_id, owner, lease, max_attempts)
    finally:
        session.close()
    if job is None:
        return
    context = JobContext(job.id, job.organization_id, job.user_id, sessionmaker, owner, lease)
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(context, stop), name=f"job-{job_id}-heartbeat", daemon=True
    )
    beat.start()
    outcome: dict = {}
    try:
        outcome["result"] = TASKS[job.kind](context, **job.arguments)
    except LeaseLost:
        log.warning("Job %s was taken over by another worker; this run stops", job_id)
        return
    except DomainError as exc:  # a broken rule: a retry would break it again
        outcome["error"] = exc.message
    except Exception as exc:
        log.exception("Job %s stopped", job_id)
        outcome.update(error=f"{type(exc).__name__}: {exc}", retry=job.attempts < max_attempts)
    finally:
        stop.set()
        beat.join()
    session = sessionmaker()
    try:
        job_rows.finish(session, job_id, owner, **outcome)
    finally:
        session.close()
    if outcome.get("retry"):
        raise RuntimeError(outcome["error"])  # Huey retries it after retry_delay


def _heartbeat(context: JobContext, stop: threading.Event) -> None:
    """Renew the lease a few times per lease period while the task works."""
    while not stop.wait(context.lease.total_seconds() / 3):
        session = context.sessionmaker()
        try:
            if not job_rows.renew(session, context.job_id, context.owner, context.lease):
                return
        except Exception:  # the database blinked: try again at the next beat
            log.exception("Heartbeat of job %s failed", context.job_id)
        finally:
            session.close()


def requeue_abandoned(app: Flask) -> list[int]:
    """Send again the jobs whose worker died or whose message was lost; each only once per
    `requeue_after` whatever the number of workers reaping. Returns their ids."""
    jobs = queue(app)
    session = jobs.sessionmaker()()
    sent = []
    try:
        for job in job_rows.abandoned(session, jobs.requeue_after):
            if job_rows.touch_if_unchanged(session, job):
                jobs.run_job(job.id)
                sent.append(job.id)
    finally:
        session.close()
    return sent


def reaper(app: Flask, stop: threading.Event) -> threading.Thread:
    """A thread of `coopchain worker` that looks for abandoned jobs every JOBS_REAP_S."""

    def loop() -> None:
        while not stop.wait(app.config["JOBS_REAP_S"]):
            try:
                for job_id in requeue_abandoned(app):
                    log.warning("Job %s was abandoned by its worker: sent again", job_id)
            except Exception:
                log.exception("Looking for abandoned jobs failed")

    thread = threading.Thread(target=loop, name="jobs-reaper", daemon=True)
    thread.start()
    return thread
