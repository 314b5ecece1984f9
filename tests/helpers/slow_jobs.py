"""A task for the tests that start real `coopchain worker` processes (COOPCHAIN_JOB_MODULES):
`test.steps` works through `steps` steps of `step_s` seconds, committing its progress after
each, and on a new attempt resumes from the progress committed, as real tasks do (a forest
assessment skips plots already measured). Each step and each completion is appended to
`log_path`, with the worker's pid, so a test can see what ran where."""

import os
import time

from coopchain import jobs
from coopchain.job_rows import Job


def _log(path: str, line: str) -> None:
    with open(path, "a") as log:
        log.write(f"{line} {os.getpid()}\n")


@jobs.task("test.steps")
def steps(context: jobs.JobContext, steps: int, step_s: float, log_path: str) -> dict:
    session = context.sessionmaker()
    try:
        start = session.get(Job, context.job_id).done
    finally:
        session.close()
    for step in range(start, steps):
        time.sleep(step_s)
        _log(log_path, f"step {step + 1}")
        context.progress(step + 1, steps)
    _log(log_path, "completed")
    return {"resumed_from": start, "worker_pid": os.getpid()}
