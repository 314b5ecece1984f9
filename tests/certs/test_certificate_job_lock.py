"""A certificate job renders its PDF before it takes SQLite's write lock (issue 19 §1): while
WeasyPrint lays out a large shipment's certificate the collection centre still records tickets
(it used to wait the whole render, then be refused as busy). The number and everything printed
are checked again under the lock: a PDF made stale meanwhile is rendered again, and numbers
stay consecutive. On a SQLite file of its own: the suite's rolled-back connection cannot show a
lock that another connection holds."""

import pytest
from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.certs import certificate_jobs, certificate_pdf, registry
from coopchain.certs.models import Certificate
from coopchain.db import session_scope
from coopchain.job_rows import Job, JobStatus
from tests import factories
from tests.jobs.test_import_job_lock import clerk

OVERRIDE = {"language": "en", "override_reason": "Forest review booked for June."}


@pytest.fixture
def lot_code(site) -> str:
    with site.app.app_context(), session_scope(site.app) as session:
        _delivery, lot = factories.delivery(
            session, session.get(Organization, site.org_id), site.producer, site.plot
        )
        return lot.code


@pytest.fixture
def renders(monkeypatch):
    """Every render as (number printed, PDF bytes); `during_first` runs inside the first."""
    real = certificate_pdf.render_certificate_pdf
    made: list[tuple[str, bytes]] = []
    hooks: dict = {}

    def render(context):
        if not made and "during_first" in hooks:
            hooks.pop("during_first")()
        pdf = real(context)
        made.append((context["number"], pdf))
        return pdf

    monkeypatch.setattr(certificate_pdf, "render_certificate_pdf", render)
    return made, hooks


def run_job(site, lot_code: str) -> Job:
    with site.app.app_context(), session_scope(site.app) as session:
        # JOBS_IMMEDIATE: the job runs here, with the app's real sessions, once this commits.
        job = certificate_jobs.submit(
            session, site.org_id, None, "lot", lot_code, OVERRIDE, may_override=True
        )
        job_id = job.id
    with session_scope(site.app) as session:
        return session.get(Job, job_id)


def certificates(site) -> list[Certificate]:
    with session_scope(site.app) as session:
        found = session.scalars(select(Certificate).order_by(Certificate.id)).all()
        session.expunge_all()
        return list(found)


def test_a_clerk_records_a_ticket_while_the_certificate_job_renders(site, lot_code, renders):
    record = clerk(site)
    made, hooks = renders
    answers = []
    hooks["during_first"] = lambda: answers.append(record("CLERK-1"))

    job = run_job(site, lot_code)

    assert answers == [302]  # recorded, not refused as "busy"
    assert (job.status, job.error) == (JobStatus.FINISHED, None)
    (certificate,) = certificates(site)
    assert job.result["number"] == certificate.number
    assert certificate.pdf == made[-1][1] and made[-1][0] == certificate.number


def test_a_pdf_rendered_before_the_lock_is_kept_when_nothing_changed(site, lot_code, renders):
    made, _hooks = renders

    job = run_job(site, lot_code)

    assert job.status == JobStatus.FINISHED
    (certificate,) = certificates(site)
    assert [number for number, _pdf in made] == [certificate.number]  # rendered once
    assert certificate.pdf == made[0][1]
    assert certificate.number.endswith("-000001")


def test_a_number_taken_while_rendering_is_rendered_again_with_the_next_one(
    site, lot_code, renders
):
    """Another certificate issued while the job rendered takes the number the job printed:
    the job reserves the next number and prints that one; no number is skipped or doubled."""
    made, hooks = renders

    def another_issue():
        with site.app.app_context(), session_scope(site.app) as session:
            registry.issue_certificate(
                session,
                site.org_id,
                None,
                kind="lot",
                reference=lot_code,
                **OVERRIDE,
                may_override=True,
            )

    hooks["during_first"] = another_issue

    job = run_job(site, lot_code)

    assert (job.status, job.error) == (JobStatus.FINISHED, None)
    first, second = certificates(site)
    assert first.number.endswith("-000001") and second.number.endswith("-000002")
    assert job.result["number"] == second.number
    # The other certificate's PDF, then the job's first (000001, the number then free), then the
    # one the job kept, printing 000002.
    printed = [number for number, _pdf in made]
    assert printed == [first.number, first.number, second.number]
    assert second.pdf == made[-1][1]
