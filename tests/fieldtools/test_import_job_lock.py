"""A plot import job checks its rows (the geometry of every plot) before it takes SQLite's write
lock, and takes it only to write (issue 19 §1): a clerk's ticket posted meanwhile is recorded
(it used to wait the whole import, then be refused as busy). What the rows were checked against
is checked again under the lock: a file imported by someone else meanwhile is not written twice.
On a SQLite file of its own: the suite's rolled-back connection cannot show a lock that another
connection holds."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from coopchain.db import session_scope
from coopchain.farms.models import Plot
from coopchain.fieldtools import import_jobs
from coopchain.fieldtools.imports import import_field_plots
from coopchain.fieldtools.plan import RowChecker
from coopchain.job_rows import Job, JobStatus
from tests.fieldtools import exports as ex
from tests.fieldtools.test_imports import KOBO_MAPPING
from tests.jobs.test_import_job_lock import clerk

MAX_ACCURACY_M = 10.0
#: The mapping as the review page hands it to the job (plan.mapping.to_dict()).
MAPPING = {name: value for name, value in KOBO_MAPPING.items() if name != "action"}
ROWS = 3


@pytest.fixture
def kobo_file(site) -> bytes:
    member = site.producer.member_code
    rows = [
        ex.kobo_row(i, ex.odk(ex.ring(lat=-5.70 - i * 0.01)), member=member)
        for i in range(1, ROWS + 1)
    ]
    return ex.kobo_xlsx(rows)


@pytest.fixture
def during_first_check(monkeypatch):
    """during_first_check(call): `call()` runs as the job checks its first row."""
    check = RowChecker.check
    pending: list = []

    def checking(self, source):
        if pending:
            pending.pop()()
        return check(self, source)

    monkeypatch.setattr(RowChecker, "check", checking)
    return pending.append


def run_job(site, data: bytes) -> Job:
    upload = SimpleNamespace(format="kobo", filename="linderos.xlsx", data=data)
    with site.app.app_context(), session_scope(site.app) as session:
        # JOBS_IMMEDIATE: the job runs here, with the app's real sessions, once this commits.
        job_id = import_jobs.submit(session, site.org_id, None, upload, MAPPING, MAX_ACCURACY_M).id
    with session_scope(site.app) as session:
        job = session.get(Job, job_id)
        session.expunge(job)
        return job


def plots_in(site) -> int:
    with session_scope(site.app) as session:
        return session.scalar(select(func.count()).select_from(Plot))


def test_a_clerk_records_a_ticket_while_the_plot_import_job_checks_its_rows(
    site, kobo_file, during_first_check
):
    record = clerk(site)
    answers = []
    during_first_check(lambda: answers.append(record("CLERK-1")))
    before = plots_in(site)

    job = run_job(site, kobo_file)

    assert answers == [302]  # recorded, not refused as "busy"
    assert (job.status, job.error) == (JobStatus.FINISHED, None)
    assert job.result == {"plots": ROWS, "imported_before": 0, "written": True}
    assert (job.done, job.total) == (ROWS, ROWS)  # progress written while checking
    assert plots_in(site) == before + ROWS


def test_a_file_imported_meanwhile_is_checked_again_and_not_written_twice(
    site, kobo_file, during_first_check
):
    def import_it_elsewhere():
        with site.app.app_context(), session_scope(site.app) as session:
            import_field_plots(
                session, site.org_id, None, kobo_file, "kobo", MAPPING,
                confirm=True, max_accuracy_m=MAX_ACCURACY_M,
            )  # fmt: skip

    during_first_check(import_it_elsewhere)
    before = plots_in(site)

    job = run_job(site, kobo_file)

    assert (job.status, job.error) == (JobStatus.FINISHED, None)
    assert job.result == {"plots": 0, "imported_before": ROWS, "written": False}
    assert plots_in(site) == before + ROWS
