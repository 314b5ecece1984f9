"""Filing a large shipment's statement as a job (issue 19 §1): above JOBS_CERTIFICATE_BAGS bags
the submit button and the API start a job that builds the statement and files it part by part
through the EU stub, each part committed as the EU accepts it; a job taken over after its
worker died files only the parts not yet filed; a refused part names what stays filed.
Amending is a job too, refused at once when the 72 hours have passed."""

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from coopchain import jobs
from coopchain.clock import utcnow
from coopchain.errors import Conflict
from coopchain.eudr import filing, filing_jobs
from coopchain.eudr.accounts import save_account
from coopchain.eudr.models import DdsStatement
from coopchain.eudr.soap import DdsClient, EudrServiceError
from coopchain.eudr.statement import DdsPlan, build_statements
from coopchain.job_rows import Job, JobStatus
from coopchain.ledger.models import LedgerEvent
from tests.eudr.conftest import ACCOUNT, REF
from tests.helpers import change_settings


@pytest.fixture
def app(make_app, stub_server):
    urls = {"acceptance": stub_server.base_url, "production": stub_server.base_url}
    app = make_app(EUDR_BASE_URLS=urls)
    app.config["JOBS_CERTIFICATE_BAGS"] = 1  # the shipment has 4 bags
    return app


@pytest.fixture
def account(db_session, org, stub):
    change_settings(db_session, eudr_base_urls={"acceptance": stub.base_url})
    values = ACCOUNT | {"username": stub.username, "client_id": stub.client_id}
    return save_account(db_session, org.id, None, values, stub.key)


@pytest.fixture
def two_parts(monkeypatch):
    """The statement as two parts (the EU's limits split a shipment of thousands of plots)."""

    def split(data, **kwargs):
        plan = build_statements(data, **kwargs)
        statement = plan.statements[0]
        return DdsPlan([statement, statement], [[], []], ["test"], [0, 0])

    monkeypatch.setattr(filing_jobs, "build_statements", split)


def second_part_raises(monkeypatch, error: Exception) -> None:
    """The EU client raises `error` on the second part it is asked to file, once."""
    real = DdsClient.submit_dds
    sent = []

    def submit_dds(self, statement):
        sent.append(statement)
        if len(sent) == 2:
            raise error
        return real(self, statement)

    monkeypatch.setattr(DdsClient, "submit_dds", submit_dds)


def rows(db_session) -> list[DdsStatement]:
    return list(db_session.scalars(select(DdsStatement).order_by(DdsStatement.part)))


def submitted_events(db_session, org) -> list[LedgerEvent]:
    return list(
        db_session.scalars(
            select(LedgerEvent).where(
                LedgerEvent.organization_id == org.id, LedgerEvent.kind == "eudr.dds_submitted"
            )
        )
    )


def test_the_submit_button_of_a_large_shipment_files_it_by_a_job(
    client, login, db_session, org, shipment, account, stub, two_parts
):
    login("admin")
    started = client.post(f"/shipments/{REF}/dds/submit")
    assert started.status_code == 302 and "/jobs/" in started.location
    status = client.get(started.location + ".json").get_json()
    assert (status["kind"], status["status"]) == ("eudr.file", "finished"), status
    assert status["result_url"] == f"/shipments/{REF}/dds"
    first, second = rows(db_session)
    assert (first.part, second.part, first.part_count) == (1, 2, 2)
    assert first.job_id == second.job_id == status["id"]
    job = db_session.get(Job, status["id"])
    assert job.result == {"reference": REF, "parts": 2, "uuids": [first.uuid, second.uuid]}
    assert stub.calls == ["submitDds", "submitDds"]
    # One ledger event per part, committed with it.
    events = submitted_events(db_session, org)
    assert [e.payload["data"]["statements"][0]["part"] for e in events] == [1, 2]
    assert (status["done"], status["total"]) == (status["total"], status["total"])
    # Filed, the shipment refuses another filing, at once (no job).
    again = client.post(f"/shipments/{REF}/dds/submit?lang=en")
    assert again.status_code == 409 and "already filed" in again.get_data(as_text=True)


def test_the_api_answers_202_with_the_job(client, api, db_session, shipment, account, stub):
    response = client.post(f"/api/v1/shipments/{REF}/dds/submit", headers=api("admin"))
    assert response.status_code == 202 and response.get_json()["kind"] == "eudr.file"
    status = client.get(response.headers["Location"], headers=api("admin")).get_json()
    assert status["status"] == "finished", status
    [row] = rows(db_session)
    assert status["result"] == {"reference": REF, "parts": 1, "uuids": [row.uuid]}
    assert client.post(f"/api/v1/shipments/{REF}/dds/submit", headers=api()).status_code == 403


def test_without_credentials_the_job_is_refused_before_it_starts(client, api, db_session, shipment):
    response = client.post(f"/api/v1/shipments/{REF}/dds/submit", headers=api("admin"))
    assert response.status_code == 422 and "credentials" in response.get_json()["message"]
    assert db_session.scalar(select(Job.id)) is None


def test_a_job_taken_over_files_only_the_parts_not_yet_filed(
    app, db_session, org, shipment, account, stub, two_parts, monkeypatch
):
    """The worker died after the EU accepted part 1 and it was committed: the job goes back to
    the queue, and the next run files part 2 only."""
    second_part_raises(monkeypatch, OSError("worker killed"))  # not the job's fault: queued again
    with app.app_context():
        job = filing_jobs.submit(db_session, org.id, None, REF, "en")
        db_session.commit()
    db_session.refresh(job)
    assert job.status == JobStatus.QUEUED and "worker killed" in job.error
    [first] = rows(db_session)
    assert (first.part, first.job_id) == (1, job.id)

    with app.app_context():
        jobs.execute(jobs.queue(app).sessionmaker(), job.id, jobs.queue(app).lease, 3)
    db_session.refresh(job)
    assert (job.status, job.attempts) == (JobStatus.FINISHED, 2)
    assert [r.part for r in rows(db_session)] == [1, 2]
    assert stub.calls == ["submitDds", "submitDds"]  # part 1 was not sent again
    assert len(submitted_events(db_session, org)) == 2


def test_a_refused_part_fails_the_job_naming_the_parts_that_stay_filed(
    app, db_session, org, shipment, account, stub, two_parts, monkeypatch
):
    second_part_raises(monkeypatch, EudrServiceError("submitDds: refused"))
    with app.app_context():
        job = filing_jobs.submit(db_session, org.id, None, REF, "en")
        db_session.commit()
    db_session.refresh(job)
    [first] = rows(db_session)
    assert job.status == JobStatus.FAILED
    assert f"Part 2 was refused (submitDds: refused); parts 1 ({first.uuid})" in job.error
    # The filed part is live on the shipment: withdrawn there, the shipment may be filed again.
    with app.app_context():
        client = filing.client_for(db_session, org.id)
        filing.withdraw(db_session, org.id, None, REF, first.uuid, client)
        assert filing_jobs.submit(db_session, org.id, None, REF, "en")


def test_amending_a_large_shipment_rebuilds_the_statement_in_a_job(
    client, login, api, db_session, org, shipment, account, stub
):
    login("admin")
    client.post(f"/shipments/{REF}/dds/submit")
    [row] = rows(db_session)
    started = client.post(f"/shipments/{REF}/dds/amend", data={"uuid": row.uuid})
    assert started.status_code == 302 and "/jobs/" in started.location
    status = client.get(started.location + ".json").get_json()
    assert (status["kind"], status["status"]) == ("eudr.amend", "finished"), status
    assert status["result_url"] == f"/shipments/{REF}/dds"
    db_session.refresh(row)
    assert row.amended_at is not None and stub.statements[row.uuid]["amended"]
    assert stub.calls == ["submitDds", "amendDds"]
    by_api = client.post(
        f"/api/v1/shipments/{REF}/dds/amend", json={"uuid": row.uuid}, headers=api("admin")
    )
    assert by_api.status_code == 202 and by_api.get_json()["kind"] == "eudr.amend"
    assert stub.calls == ["submitDds", "amendDds", "amendDds"]


def test_an_amendment_after_72_hours_is_refused_before_any_job(
    client, login, db_session, org, shipment, account, stub
):
    login("admin")
    client.post(f"/shipments/{REF}/dds/submit")
    [row] = rows(db_session)
    row.submitted_at = utcnow() - timedelta(hours=72, minutes=1)
    db_session.flush()
    jobs_before = db_session.scalar(select(func.count()).select_from(Job))
    refused = client.post(f"/shipments/{REF}/dds/amend?lang=en", data={"uuid": row.uuid})
    assert refused.status_code == 409 and "72 hours" in refused.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Job)) == jobs_before
    assert stub.calls == ["submitDds"]


def test_a_second_filing_job_is_refused_while_the_first_is_under_way(
    app, db_session, org, shipment, account, stub
):
    """A second click before the first job has filed anything would file every part twice."""
    with app.app_context(), force_locale("en"):
        first = filing_jobs.submit(db_session, org.id, None, REF, "en")  # queued, not yet run
        with pytest.raises(Conflict) as refused:
            filing_jobs.submit(db_session, org.id, None, REF, "en")
    assert f"Job {first.id} is filing this shipment's statement already." in refused.value.message
