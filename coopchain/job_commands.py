"""`coopchain worker` (runs jobs from the queue) and `coopchain job` (follows one), and the
progress display the commands that start jobs share (coopchain/jobs.py)."""

import json
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from coopchain.auth.models import Organization
from coopchain.db import session_scope
from coopchain.job_rows import DONE, Job, get_job


def follow_job(org_id: int, job_id: int, poll_s: float = 1.0, label: str = "Progress"):
    """Show job `job_id`'s progress until it ends; Ctrl-C stops following, not the job."""

    def read():
        with session_scope() as session:
            return get_job(session, org_id, job_id)

    job = read()
    if job.status == "queued":
        click.echo("Waiting for a worker (coopchain worker)…")
    try:
        with click.progressbar(length=max(job.total, 1), label=label, show_pos=True) as bar:
            while job.status not in DONE:
                time.sleep(poll_s)
                job = read()
                bar.length = max(job.total, 1)
                bar.update(job.done - bar.pos)
    except KeyboardInterrupt:
        click.echo(f"\nStopped following; job {job_id} goes on: coopchain job {job_id}", err=True)
        raise SystemExit(130) from None
    return job


@click.command("job")
@click.argument("job_id", type=int)
@click.option("--org", "org_code", default=None, help="Organisation code (default: the job's)")
@with_appcontext
def job_command(job_id, org_code):
    """Follow a job's progress until it ends and print its result."""
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None or (org_code and _org_code(session, job) != org_code):
            raise click.ClickException(f"No job {job_id}.")
        org_id = job.organization_id
    job = follow_job(org_id, job_id)
    click.echo(f"Job {job_id} {job.status}.")
    click.echo(json.dumps(job.result if job.status == "finished" else {"error": job.error}))
    if job.status != "finished":
        raise SystemExit(1)


@click.command("worker")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help="Jobs run at once by this worker (default COOPCHAIN_WORKER_THREADS, 2).",
)
@with_appcontext
def worker_command(threads):
    """Run jobs from the queue (Huey consumer) until stopped; start as many as needed, on any
    machine sharing the database and the queue."""
    from coopchain import jobs
    from coopchain.heap import settle_startup_heap

    app = current_app._get_current_object()
    queue = jobs.queue(app)
    if queue.immediate:
        raise click.ClickException(
            "Jobs run immediately here (COOPCHAIN_JOBS_IMMEDIATE): no worker."
        )
    stop = threading.Event()
    jobs.reaper(app, stop)
    consumer = queue.huey.create_consumer(
        workers=threads or app.config["JOBS_WORKER_THREADS"],
        worker_type="thread",
        periodic=False,
        check_worker_health=True,
        # An idle worker polls SQLite storage with a back-off; Huey's default ceiling (10 s)
        # would leave a job sent by the reaper waiting that long. Redis storage blocks instead.
        max_delay=1.0,
    )
    click.echo(f"Worker on queue {queue.huey.name!r} ({type(queue.huey.storage).__name__}).")
    settle_startup_heap()
    try:
        consumer.run()
    finally:
        stop.set()


def _org_code(session, job: Job) -> str:
    return session.get(Organization, job.organization_id).code
