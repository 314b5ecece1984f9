"""Jobs in one process: the queue's rules on the `jobs` row (claim, lease, takeover, completing
once, attempts), submit-after-commit, the progress page, its JSON and /api/v1/jobs. Tasks run
in the caller here (JOBS_IMMEDIATE); test_worker_kill.py and test_two_nodes.py use real
workers."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from coopchain import jobs
from coopchain.errors import DomainError
from coopchain.job_rows import (
    Job,
    JobStatus,
    abandoned,
    claim,
    complete_in,
    finish,
    renew,
    touch_if_unchanged,
    wall_clock,
)
from tests.helpers import slow_jobs  # noqa: F401  (registers test.steps)

LEASE = timedelta(seconds=30)


@jobs.task("test.refused")
def _refused(context, reason: str):
    raise DomainError(reason)


@jobs.task("test.crash")
def _crash(context):
    raise OSError("disk full")


@pytest.fixture
def job(db_session, org):
    row = Job(organization_id=org.id, kind="test.steps", arguments={})
    db_session.add(row)
    db_session.flush()
    return row


def _expire_lease(db_session, job_id: int) -> None:
    db_session.execute(
        update(Job).where(Job.id == job_id).values(lease_until=wall_clock() - timedelta(1))
    )
    db_session.flush()


def test_a_held_job_is_not_taken_by_another_worker(db_session, job):
    assert claim(db_session, job.id, "a", LEASE, 3).lease_owner == "a"
    assert claim(db_session, job.id, "b", LEASE, 3) is None
    assert renew(db_session, job.id, "a", LEASE, (2, 5))
    db_session.refresh(job)
    assert (job.status, job.done, job.total, job.attempts) == (JobStatus.RUNNING, 2, 5, 1)


def test_a_dead_workers_job_is_taken_over_and_completes_once(db_session, job):
    claim(db_session, job.id, "dead", LEASE, 3)
    _expire_lease(db_session, job.id)
    assert [j.id for j in abandoned(db_session, timedelta(minutes=5))] == [job.id]
    taken = claim(db_session, job.id, "alive", LEASE, 3)
    assert (taken.lease_owner, taken.attempts) == ("alive", 2)
    # The stalled first worker wakes up: it may neither report nor complete.
    assert not renew(db_session, job.id, "dead", LEASE, (9, 9))
    assert not finish(db_session, job.id, "dead", result={"by": "dead"})
    assert finish(db_session, job.id, "alive", result={"by": "alive"})
    assert not finish(db_session, job.id, "alive", result={"by": "again"})
    db_session.refresh(job)
    assert (job.status, job.result, job.lease_owner) == (JobStatus.FINISHED, {"by": "alive"}, None)


def test_a_task_completing_in_its_own_transaction_must_still_hold_the_job(db_session, job):
    claim(db_session, job.id, "dead", LEASE, 3)
    _expire_lease(db_session, job.id)
    claim(db_session, job.id, "alive", LEASE, 3)
    assert not complete_in(db_session, job.id, "dead", {"paid": "twice"})
    assert complete_in(db_session, job.id, "alive", {"paid": "once"})
    db_session.commit()
    db_session.refresh(job)
    assert (job.status, job.result) == (JobStatus.FINISHED, {"paid": "once"})
    assert not complete_in(db_session, job.id, "alive", {"paid": "again"})


def test_a_job_out_of_attempts_fails_with_its_last_error(db_session, job):
    for attempt in (1, 2):
        claim(db_session, job.id, "w", LEASE, 2)
        finish(db_session, job.id, "w", error=f"boom {attempt}", retry=True)
    assert claim(db_session, job.id, "w", LEASE, 2) is None
    db_session.refresh(job)
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("boom 2") and "2 attempts" in job.error


def test_the_reaper_sends_an_abandoned_job_once(db_session, job):
    claim(db_session, job.id, "dead", LEASE, 3)
    _expire_lease(db_session, job.id)
    (found,) = abandoned(db_session, timedelta(minutes=5))
    stale_copy = Job(id=found.id, updated_at=found.updated_at)
    assert touch_if_unchanged(db_session, found)
    assert not touch_if_unchanged(db_session, stale_copy)  # a second reaper with the old row
    db_session.refresh(job)
    assert (job.status, job.lease_owner) == (JobStatus.QUEUED, None)
    assert abandoned(db_session, timedelta(minutes=5)) == []


def test_a_submitted_job_runs_after_the_commit_with_its_progress(app, db_session, org, tmp_path):
    log = tmp_path / "steps.log"
    with app.app_context():
        job = jobs.submit(
            db_session, org.id, None, "test.steps", {"steps": 3, "step_s": 0, "log_path": str(log)}
        )
        assert job.status == JobStatus.QUEUED and not log.exists()  # nothing before the commit
        db_session.commit()
    db_session.refresh(job)
    assert (job.status, job.done, job.total, job.attempts) == (JobStatus.FINISHED, 3, 3, 1)
    assert job.result["resumed_from"] == 0
    assert log.read_text().count("completed") == 1


def test_a_rolled_back_job_is_never_sent(app, db_session, org, tmp_path):
    log = tmp_path / "steps.log"
    with app.app_context():
        jobs.submit(
            db_session, org.id, None, "test.steps", {"steps": 1, "step_s": 0, "log_path": str(log)}
        )
        db_session.rollback()
        db_session.commit()
    assert not log.exists()


def test_an_unknown_task_is_refused(app, db_session, org):
    with app.app_context(), pytest.raises(ValueError, match="no task"):
        jobs.submit(db_session, org.id, None, "no.such.task", {})


def test_a_broken_rule_fails_the_job_with_its_message_at_once(app, db_session, org):
    with app.app_context():
        job = jobs.submit(db_session, org.id, None, "test.refused", {"reason": "Plot 7 is gone."})
        db_session.commit()
    db_session.refresh(job)
    assert (job.status, job.error, job.attempts) == (JobStatus.FAILED, "Plot 7 is gone.", 1)


def _finished_job(app, db_session, org, tmp_path) -> Job:
    with app.app_context():
        job = jobs.submit(
            db_session,
            org.id,
            None,
            "test.steps",
            {"steps": 4, "step_s": 0, "log_path": str(tmp_path / "log")},
        )
        db_session.commit()
    return job


def test_the_progress_page_and_its_json(client, login, app, db_session, org, tmp_path):
    job = _finished_job(app, db_session, org, tmp_path)
    login("auditor")
    page = client.get(f"/jobs/{job.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-status="finished"' in html
    assert "4 de 4" in html  # Spanish by default
    assert 'src="/static/jobs.js"' in html and "<script>" not in html  # CSP: no inline script
    status = client.get(f"/jobs/{job.id}.json").get_json()
    assert status["status"] == "finished" and status["finished"] is True
    assert (status["done"], status["total"]) == (4, 4)
    assert f'href="/jobs/{job.id}"' in client.get("/jobs").get_data(as_text=True)


def test_the_api_gives_a_job_and_the_list(client, api, app, db_session, org, tmp_path):
    job = _finished_job(app, db_session, org, tmp_path)
    headers = api("quality")
    body = client.get(f"/api/v1/jobs/{job.id}", headers=headers).get_json()
    assert body["kind"] == "test.steps"
    assert (body["status"], body["done"], body["total"], body["attempts"]) == ("finished", 4, 4, 1)
    assert body["result"]["resumed_from"] == 0
    listing = client.get("/api/v1/jobs?per_page=1", headers=headers).get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == job.id
    assert client.get("/api/v1/jobs/999999", headers=headers).status_code == 404


def test_a_job_page_of_another_organisation_is_not_found(
    client, login, app, db_session, org, other_org, tmp_path
):
    job = _finished_job(app, db_session, org, tmp_path)
    login("admin", other_org)
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}.json").status_code == 404


def test_a_crashed_task_is_queued_again_with_its_error(app, db_session, org):
    """An unexpected error is not the job's fault: it goes back to the queue (Huey retries it
    after a delay; the reaper would too) with the error noted, until out of attempts."""
    with app.app_context():
        job = jobs.submit(db_session, org.id, None, "test.crash", {})
        db_session.commit()
    db_session.refresh(job)
    assert (job.status, job.attempts, job.lease_owner) == (JobStatus.QUEUED, 1, None)
    assert job.error == "OSError: disk full"


def test_every_job_kind_is_named_in_spanish_and_english():
    """The job pages show a job's kind by its name (i18n_terms.JOB_KINDS), never the task's
    dotted identifier."""
    from flask_babel import force_locale, gettext

    from coopchain import create_app
    from coopchain.i18n_terms import JOB_KINDS
    from tests.helpers import TEST_CONFIG

    named = {term._args[0] for term in JOB_KINDS}  # the msgids (lazy strings)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite://"})
    with app.app_context(), app.test_request_context():
        for kind in (kind for kind in jobs.TASKS if not kind.startswith("test.")):
            assert kind in named, kind
            for locale in ("es", "en"):
                with force_locale(locale):
                    assert gettext(kind) != kind, (kind, locale)
