"""The due diligence statement of a large shipment as a job: above JOBS_CERTIFICATE_BAGS bags
the staff downloads and the DDS page build nothing in the request, the job's .zip holds the
downloads' own bytes, and filing from the page still works."""

import functools
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from coopchain.eudr import dds_jobs, statements
from coopchain.eudr.accounts import save_account
from coopchain.eudr.statement import build_statements
from coopchain.job_rows import Job
from tests.eudr.conftest import ACCOUNT, REF

JOB_FORM = f'action="/shipments/{REF}/dds/jobs"'


@pytest.fixture
def app(make_app, stub_server):
    urls = {"acceptance": stub_server.base_url, "production": stub_server.base_url}
    return make_app(EUDR_BASE_URLS=urls)


@pytest.fixture
def account(db_session, org, stub):
    values = ACCOUNT | {"username": stub.username, "client_id": stub.client_id}
    return save_account(db_session, org.id, None, values, stub.key)


def _no_plan_in_the_request(monkeypatch):
    """From here on a view that builds the statement fails the test (the job builds it with
    its own reference to build_statements)."""

    def refused(*_args, **_kwargs):
        raise AssertionError("the statement was built in the request")

    monkeypatch.setattr(statements, "build_statements", refused)


def _downloads(client, count: int) -> dict[str, bytes]:
    """The synchronous downloads (below the threshold), by their file names."""
    files = {}
    json_download = client.get(f"/shipments/{REF}/dds.json")
    assert json_download.status_code == 200, json_download.data
    files[json_download.headers["Content-Disposition"].split("filename=")[1]] = json_download.data
    for number in range(1, count + 1):
        xml = client.get(f"/shipments/{REF}/dds.xml?part={number}")
        assert xml.mimetype == "application/xml", xml.data
        files[xml.headers["Content-Disposition"].split('filename="')[1][:-1]] = xml.data
    return files


@pytest.mark.parametrize("max_producers", [1000, 1], ids=["one statement", "split in two"])
def test_a_large_shipments_statement_files_are_built_by_a_job(
    client, app, login, shipment, account, monkeypatch, max_producers
):
    """The job's .zip holds the JSON and each part's XML under the downloads' names, with the
    downloads' bytes; above the threshold the downloads answer with the job's form."""
    split = functools.partial(build_statements, max_producers=max_producers)
    monkeypatch.setattr(statements, "build_statements", split)
    monkeypatch.setattr(dds_jobs, "build_statements", split)
    count = 1 if max_producers > 1 else 2
    login("auditor")  # read-only: may prepare the files, as the EUDR package
    direct = _downloads(client, count)
    names = ["dds-HH-2026-01.json"] + (
        ["dds-HH-2026-01.xml"]
        if count == 1
        else ["dds-HH-2026-01-part1of2.xml", "dds-HH-2026-01-part2of2.xml"]
    )
    assert list(direct) == names

    app.config["JOBS_CERTIFICATE_BAGS"] = 1  # the shipment has 4 bags
    _no_plan_in_the_request(monkeypatch)
    for url in ("dds.json", "dds.xml", "dds.xml?part=1", "dds"):
        offer = client.get(f"/shipments/{REF}/{url}")
        assert (offer.status_code, offer.mimetype) == (200, "text/html"), url
        assert JOB_FORM in offer.get_data(as_text=True), url
    started = client.post(f"/shipments/{REF}/dds/jobs")
    assert started.status_code == 302 and "/jobs/" in started.location
    status = client.get(started.location + ".json").get_json()
    assert (status["kind"], status["status"]) == ("eudr.dds", "finished"), status
    assert status["total"] == 4  # progress: two producers, each checked and encoded
    made = client.get(status["result_url"])
    assert made.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(made.data))
    assert archive.namelist() == names
    assert {name: archive.read(name) for name in names} == direct


def test_the_page_of_a_large_shipment_offers_the_job_and_still_files(
    client, app, login, shipment, account, stub, monkeypatch
):
    app.config["JOBS_CERTIFICATE_BAGS"] = 1
    login("admin")
    _no_plan_in_the_request(monkeypatch)
    page = client.get(f"/shipments/{REF}/dds?lang=en").get_data(as_text=True)
    assert JOB_FORM in page and "dds.xml?part=1" not in page
    assert "DE123456789012345" in page  # the account's EORI, read without the statement
    assert "Submit to the EU Information System" in page
    assert "files it part by part" in page
    # Submitting starts a job that builds the statement and files it (filing_jobs.py).
    filed = client.post(f"/shipments/{REF}/dds/submit")
    assert filed.status_code == 302 and "/jobs/" in filed.location, filed.data
    assert client.get(filed.location + ".json").get_json()["status"] == "finished"
    assert stub.calls == ["submitDds"]


def test_a_statement_breaking_a_rule_fails_the_job_naming_the_fields(client, app, login, shipment):
    app.config["JOBS_CERTIFICATE_BAGS"] = 1
    login("staff")
    started = client.post(f"/shipments/{REF}/dds/jobs?lang=en")
    status = client.get(started.location + ".json").get_json()
    assert status["status"] == "failed"
    assert "eori: IMPORT and EXPORT need the operator's EORI number." in status["error"]


def test_the_api_names_the_job_for_a_large_shipment_and_starts_it(
    client, app, api, shipment, account, monkeypatch
):
    """The API's downloads of a large shipment build nothing: 409 naming the POST; the POST
    answers 202 with the job, whose file is the .zip of the downloads' bytes."""
    headers = api("auditor")
    direct_json = client.get(f"/api/v1/shipments/{REF}/dds.json", headers=headers)
    direct_xml = client.get(f"/api/v1/shipments/{REF}/dds.xml", headers=headers)
    assert direct_json.status_code == 200 and direct_xml.mimetype == "application/xml"
    app.config["JOBS_CERTIFICATE_BAGS"] = 1  # the shipment has 4 bags
    _no_plan_in_the_request(monkeypatch)
    for url in ("dds.json", "dds.xml", "dds.xml?part=1"):
        refused = client.get(f"/api/v1/shipments/{REF}/{url}", headers=headers)
        assert refused.status_code == 409, url
        body = refused.get_json()
        assert (body["error"], body["start"]) == (
            "job_required",
            f"/api/v1/shipments/{REF}/dds/jobs",
        )
    accepted = client.post(f"/api/v1/shipments/{REF}/dds/jobs", headers=headers)
    assert accepted.status_code == 202 and accepted.get_json()["kind"] == "eudr.dds"
    status = client.get(accepted.headers["Location"], headers=headers).get_json()
    assert status["status"] == "finished", status
    made = client.get(f"/api/v1/jobs/{status['id']}/file", headers=headers)
    archive = zipfile.ZipFile(io.BytesIO(made.data))
    assert archive.read("dds-HH-2026-01.xml") == direct_xml.data
    statements = json.loads(archive.read("dds-HH-2026-01.json"))["statements"]
    assert statements == direct_json.get_json()["statements"]


def test_another_organisations_shipment_starts_no_job(
    client, app, login, shipment, other_org, db_session
):
    app.config["JOBS_CERTIFICATE_BAGS"] = 1
    login("admin", other_org)
    assert client.post(f"/shipments/{REF}/dds/jobs").status_code == 404
    assert client.get(f"/shipments/{REF}/dds.json").status_code == 404
    assert db_session.scalars(select(Job).where(Job.kind == dds_jobs.KIND)).all() == []


def test_the_builder_reports_each_producer_checked_and_encoded(db_session, org, shipment):
    save_account(db_session, org.id, None, ACCOUNT, None)
    from coopchain.shipments.services import get_shipment

    data = statements.statement_input(db_session, org.id, get_shipment(db_session, org.id, REF))
    seen = []
    plan = build_statements(data, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert plan == build_statements(data)


def test_a_worker_writes_the_split_reasons_in_the_language_the_job_was_started_in(
    client, app, login, db_session, org, shipment, account, monkeypatch
):
    """A worker has no request to take the language from: the job carries it (this test's
    app context is forced to English, the job was started in Spanish)."""
    split = functools.partial(build_statements, max_producers=1)
    monkeypatch.setattr(statements, "build_statements", split)
    monkeypatch.setattr(dds_jobs, "build_statements", split)
    login("staff")
    spanish = client.get(f"/shipments/{REF}/dds.json?lang=es").data
    assert b"productores" in spanish
    job = dds_jobs.submit(db_session, org.id, None, REF, "es")
    db_session.commit()  # immediate mode: the job runs here, outside any request
    db_session.refresh(job)
    assert job.status == "finished", job.error
    made = client.get(f"/jobs/{job.id}/file")
    assert zipfile.ZipFile(io.BytesIO(made.data)).read("dds-HH-2026-01.json") == spanish
