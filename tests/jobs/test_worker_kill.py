"""A worker killed with `kill -9` in the middle of a job loses nothing: its lease on the job
runs out, another worker's reaper sends the job again, that worker resumes it from the
progress committed and completes it, once. Real `coopchain worker` processes, on both
databases."""

import os
import signal

import pytest

from coopchain import create_app, jobs
from coopchain.db import session_scope
from coopchain.job_rows import Job, JobStatus
from tests import factories
from tests.conftest import DATABASES
from tests.jobs.real_databases import coopchain_process, fresh_database, wait_for

STEPS = 12


@pytest.fixture(params=DATABASES)
def setup(request, tmp_path):
    url = fresh_database(request.param, tmp_path, "kill")
    queue_file = str(tmp_path / "huey.sqlite")
    config = {
        "COOPCHAIN_ENV": "test",
        "DATABASE_URL": url,
        "JOBS_IMMEDIATE": False,
        "JOBS_QUEUE_FILE": queue_file,
        "JOBS_QUEUE_NAME": "kill-test",
        "JOBS_TASK_MODULES": ("tests.helpers.slow_jobs",),
    }
    env = {
        "COOPCHAIN_DATABASE_URL": url,
        "COOPCHAIN_QUEUE_FILE": queue_file,
        "COOPCHAIN_QUEUE_NAME": "kill-test",
        "COOPCHAIN_JOBS_LEASE_S": "1.5",
        "COOPCHAIN_JOBS_REAP_S": "0.3",
        "COOPCHAIN_WORKER_THREADS": "1",
    }
    app = create_app(config)
    processes = []
    yield app, env, processes
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(10)
    app.extensions["coopchain.db"].engine.dispose()


def _job(app, job_id: int) -> Job:
    with session_scope(app) as session:
        return session.get(Job, job_id)


def test_a_job_survives_its_worker_killed_mid_way(setup, tmp_path):
    app, env, processes = setup
    log_path = tmp_path / "steps.log"
    with app.app_context(), session_scope(app) as session:
        org = factories.organization(session, "KILL")
        job_id = jobs.submit(
            session,
            org.id,
            None,
            "test.steps",
            {"steps": STEPS, "step_s": 0.25, "log_path": str(log_path)},
        ).id
    # Two workers from the start (as in production): whichever takes the job is killed.
    workers = {}
    for n in (1, 2):
        worker = coopchain_process(["worker"], env, tmp_path / f"worker{n}.log")
        processes.append(worker)
        workers[worker.pid] = worker
    running = wait_for(
        lambda: (j := _job(app, job_id)).done >= 3 and j, 120, "a worker to make progress"
    )
    holder = workers[int(running.lease_owner.split(":")[1])]
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    killed_at = _job(app, job_id)
    assert killed_at.status == JobStatus.RUNNING  # as the dead worker left it
    assert killed_at.done < STEPS
    (second,) = (w for pid, w in workers.items() if pid != holder.pid)

    job = wait_for(
        lambda: (j := _job(app, job_id)).status in (JobStatus.FINISHED, JobStatus.FAILED) and j,
        90,
        "the second worker to finish the job",
    )
    assert job.status == JobStatus.FINISHED, job.error
    assert job.attempts == 2
    assert job.done == job.total == STEPS
    assert job.lease_owner is None
    # Resumed from what the dead worker committed, finished by the second one, once.
    assert job.result["resumed_from"] >= killed_at.done
    assert job.result["worker_pid"] == second.pid
    lines = [line.split() for line in log_path.read_text().splitlines()]
    completed = [pid for word, *rest in lines if word == "completed" for pid in rest[-1:]]
    assert completed == [str(second.pid)]
    steps_done = {int(rest[0]) for word, *rest in lines if word == "step"}
    assert steps_done == set(range(1, STEPS + 1))
