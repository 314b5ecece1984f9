"""A large payment run as a job (coopchain/jobs.py): confirming a run over hundreds of
deliveries locks and prices every one of them, too long for a web request (DESIGN.md §7), so
above JOBS_PAYMENT_RUN_DELIVERIES the treasurer's confirm starts a job and shows its progress.

The run's payments and the job's completion commit in one transaction (JobContext.complete):
a worker killed before that commit leaves no payment, and the job is taken over and runs the
confirm again; after it the job is finished and no other worker runs it. A run is paid once.
"""

from datetime import date

from flask import url_for

from coopchain import jobs
from coopchain.db import begin_write
from coopchain.payments import runs

KIND = "payments.run"


def _result_page(job) -> str | None:
    run_id = (job.result or {}).get("run_id")
    return url_for("pay_runs.run_detail", run_id=run_id) if run_id else None


@jobs.task(KIND, result_page=_result_page)
def confirm_run(
    context: jobs.JobContext, selection: dict, paid_on: str, currency: str, method: str
) -> dict:
    session = context.sessionmaker()
    try:
        begin_write(session)
        run = runs.confirm(
            session,
            context.organization_id,
            context.user_id,
            selection,
            date.fromisoformat(paid_on),
            currency,
            method,
        )
        result = {
            "run_id": run.id,
            "number": run.number,
            "net": run.totals["net"],
            "producers": run.totals["producers"],
        }
        context.complete(session, result)
        session.commit()
        return result
    finally:
        session.close()


def needs_a_job(session, org_id: int, selection: dict, threshold: int) -> bool:
    """Whether confirming `selection` is long work (more deliveries than `threshold`)."""
    return len(runs.chosen_deliveries(session, org_id, selection)) > threshold


def submit(session, org_id: int, user_id, selection: dict, paid_on: date, currency, method):
    arguments = {
        "selection": selection,
        "paid_on": paid_on.isoformat(),
        "currency": currency,
        "method": method,
    }
    return jobs.submit(session, org_id, user_id, KIND, arguments)
