"""The `jobs` table: one row per piece of long work (a forest assessment, a big import…), what
the status page and /api/v1/jobs read. Huey's own storage holds only the messages that wake a
worker (coopchain/jobs.py); this row is the truth about a job: its progress, result, error,
attempts and which worker holds it until when (its lease).

A worker takes a job by writing its name and a lease on the row, renews the lease while it
works (a heartbeat) and finishes only while it still holds it. A worker killed with `kill -9`
stops renewing: once its lease has expired another worker takes the job over, and the one that
finishes is the one whose name is on the row, so a job completes once.
"""

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column, LargeBinary, func, or_, select, update
from sqlmodel import Field, Session, SQLModel

from coopchain.clock import utcnow
from coopchain.db import begin_write, owned
from coopchain.errors import NotFound
from coopchain.timeutil import UTCDateTime


class JobStatus(StrEnum):
    #: Waiting for a worker (also after its worker died, until another takes it).
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    #: Stopped on an error a retry would hit again, or out of attempts.
    FAILED = "failed"


DONE = (JobStatus.FINISHED, JobStatus.FAILED)


class Job(SQLModel, table=True):
    __tablename__ = "jobs"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: Who started it (None: the command line).
    user_id: int | None = Field(default=None, foreign_key="users.id")
    #: A registered task name (coopchain/jobs.py), e.g. "forest.assessment".
    kind: str = Field(max_length=60)
    #: The task's JSON arguments.
    arguments: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=JobStatus.QUEUED, max_length=20, index=True)
    #: Progress in the task's own units (plots, rows, bags): `done` of `total`.
    done: int = Field(default=0)
    total: int = Field(default=0)
    result: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = Field(default=None, max_length=1000)
    #: Times a worker has taken it (a retry or a takeover after a dead worker adds one).
    attempts: int = Field(default=0)
    #: The worker holding it ("host:pid:thread") and until when; renewed by its heartbeat.
    lease_owner: str | None = Field(default=None, max_length=120)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class JobFile(SQLModel, table=True):
    """A file a job made (a label sheet, a certificate): kept in the database, which every web
    node can read, whatever machine the worker ran on."""

    __tablename__ = "job_files"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    job_id: int = Field(foreign_key="jobs.id", index=True)
    #: "input" (what the job reads: an uploaded workbook) or "output" (what it made).
    purpose: str = Field(default="output", max_length=10)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def wall_clock() -> datetime:
    """Leases compare times written by different machines: real time, never the cooperative's
    (pinned in tests) clock."""
    return datetime.now(UTC)


def get_job(session: Session, org_id: int, job_id: int) -> Job:
    job = session.scalar(owned(Job, org_id).where(Job.id == job_id))
    if job is None:
        raise NotFound(str(_l("No such job.")))
    return job


def job_file(session: Session, org_id: int, job_id: int, purpose: str = "output") -> JobFile:
    """The file job `job_id` made (the newest, should a retry have made two), or read."""
    found = session.scalar(
        owned(JobFile, org_id)
        .where(JobFile.job_id == job_id, JobFile.purpose == purpose)
        .order_by(JobFile.id.desc())
    )
    if found is None:
        raise NotFound(str(_l("This job has no file.")))
    return found


def list_jobs(session: Session, org_id: int, offset: int = 0, limit: int = 25):
    """(jobs newest first, how many in all)."""
    total = session.scalar(select(func.count()).select_from(owned(Job, org_id).subquery()))
    rows = session.scalars(owned(Job, org_id).order_by(Job.id.desc()).offset(offset).limit(limit))
    return list(rows), total


def _locked(session: Session, job_id: int) -> Job | None:
    """The job row for update (FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite), fresh."""
    begin_write(session)
    return session.scalar(
        select(Job)
        .where(Job.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def claim(session: Session, job_id: int, owner: str, lease: timedelta, max_attempts: int):
    """Take the job for `owner`, or None when it is done, or held by a live worker. A job out
    of attempts is marked failed instead. Commits."""
    job = _locked(session, job_id)
    now = wall_clock()
    if job is None or job.status in DONE:
        session.rollback()
        return None
    held = job.status == JobStatus.RUNNING and job.lease_until and job.lease_until > now
    if held and job.lease_owner != owner:
        session.rollback()
        return None
    if job.attempts >= max_attempts:
        job.status, job.finished_at = JobStatus.FAILED, now
        job.error = (job.error or "") + f" (gave up after {job.attempts} attempts)"
        job.lease_owner = job.lease_until = None
        session.add(job)
        session.commit()
        return None
    job.attempts += 1
    job.status, job.lease_owner, job.lease_until = JobStatus.RUNNING, owner, now + lease
    job.started_at = job.started_at or now
    job.updated_at = now
    session.add(job)
    session.commit()
    return job


def renew(session: Session, job_id: int, owner: str, lease: timedelta, progress=None) -> bool:
    """Extend `owner`'s lease (and record progress, a (done, total) pair); False when the job
    is no longer its own (taken over after the lease ran out, or finished). Commits."""
    values = {"lease_until": wall_clock() + lease, "updated_at": wall_clock()}
    if progress is not None:
        values["done"], values["total"] = progress
    begin_write(session)
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == owner, Job.status == JobStatus.RUNNING)
        .values(**values)
    )
    session.commit()
    return result.rowcount == 1


def complete_in(session: Session, job_id: int, owner: str, result: dict) -> bool:
    """Mark the job finished inside the caller's transaction, so a task's own writes and its
    completion commit together (or not at all): a worker killed before that commit leaves
    nothing done, and after it the job is finished for everyone. False, changing nothing, when
    the job is no longer `owner`'s. Flushes, never commits."""
    job = session.scalar(
        select(Job)
        .where(Job.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if job is None or job.lease_owner != owner or job.status != JobStatus.RUNNING:
        return False
    now = wall_clock()
    job.status, job.result, job.error = JobStatus.FINISHED, result, None
    job.done, job.finished_at, job.updated_at = max(job.done, job.total), now, now
    job.lease_owner = job.lease_until = None
    session.add(job)
    session.flush()
    return True


def finish(session: Session, job_id: int, owner: str, *, result=None, error=None, retry=False):
    """Record the end of `owner`'s run: finished with `result`, failed with `error`, or (when
    `retry`) queued again with the error noted. Nothing happens when the job is no longer
    `owner`'s: the one that holds it completes it, so a job completes once. Commits; returns
    whether this run's end was recorded."""
    job = _locked(session, job_id)
    if job is None or job.lease_owner != owner or job.status != JobStatus.RUNNING:
        session.rollback()
        return False
    now = wall_clock()
    if error is None:
        job.status, job.result, job.error = JobStatus.FINISHED, result, None
        job.done = max(job.done, job.total)
    else:
        job.error = error[:1000]
        job.status = JobStatus.QUEUED if retry else JobStatus.FAILED
    job.finished_at = None if retry else now
    job.lease_owner = job.lease_until = None
    job.updated_at = now
    session.add(job)
    session.commit()
    return True


def abandoned(session: Session, requeue_after: timedelta) -> list[Job]:
    """Jobs no live worker holds: running with an expired lease (their worker died), or queued
    and untouched for `requeue_after` (their message was lost, e.g. the queue was down)."""
    now = wall_clock()
    return list(
        session.scalars(
            select(Job).where(
                or_(
                    (Job.status == JobStatus.RUNNING) & (Job.lease_until < now),
                    (Job.status == JobStatus.QUEUED) & (Job.updated_at < now - requeue_after),
                )
            )
        )
    )


def touch_if_unchanged(session: Session, job: Job) -> bool:
    """Mark `job` as queued and just sent again, unless another reaper or a worker got to it
    first (its updated_at moved). Commits; True when this caller should send it."""
    begin_write(session)
    result = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.updated_at == job.updated_at, Job.status.notin_(DONE))
        .values(
            status=JobStatus.QUEUED, lease_owner=None, lease_until=None, updated_at=wall_clock()
        )
    )
    session.commit()
    return result.rowcount == 1
