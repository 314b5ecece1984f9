"""Label sheets above JOBS_LABEL_BAGS bags are made by a job: the staff page offers to start
it, the job's page then offers the PDF (the job's file); the API names the POST that starts the
job and answers it with 202 and the job; smaller sheets come at once on both."""

import re
import subprocess
from decimal import Decimal

from sqlalchemy import func, select

from coopchain import create_app
from coopchain.db import session_scope
from coopchain.job_rows import Job, JobStatus
from coopchain.lots import bags as bag_service
from coopchain.trace import label_jobs
from tests import factories
from tests.helpers import TEST_CONFIG
from tests.jobs.real_databases import fresh_database
from tests.trace.test_labels import require_tool, write


def _jobs(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Job))


def _bagged(db_session, org, lot, count):
    bag_service.create_bags(db_session, org.id, None, lot.code, count)
    db_session.flush()


def test_a_big_label_sheet_is_made_by_a_job(
    client, app, login, db_session, org, green_lot, tmp_path
):
    _bagged(db_session, org, green_lot, 3)
    app.config["JOBS_LABEL_BAGS"] = 2
    login("staff")
    offer = client.get(f"/lots/{green_lot.code}/labels.pdf?layout=single")
    assert offer.status_code == 200 and offer.mimetype == "text/html"
    html = offer.get_data(as_text=True)
    assert 'action="/labels/jobs"' in html and 'value="single"' in html
    started = client.post(
        "/labels/jobs", data={"subject": "lot", "reference": green_lot.code, "layout": "single"}
    )
    assert started.status_code == 302 and "/jobs/" in started.location
    status = client.get(started.location + ".json").get_json()
    assert (status["kind"], status["status"], status["total"]) == ("labels.sheet", "finished", 3)
    pdf = client.get(status["result_url"])
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    # One page per bag in the single layout.
    require_tool("pdfinfo")
    path = write(pdf.data, tmp_path)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+3$", info.stdout, re.M)


def test_a_small_sheet_comes_at_once_on_the_page_and_in_the_api(
    client, app, login, api, db_session, org, green_lot
):
    _bagged(db_session, org, green_lot, 3)
    app.config["JOBS_LABEL_BAGS"] = 3
    login("staff")
    assert client.get(f"/lots/{green_lot.code}/labels.pdf").mimetype == "application/pdf"
    response = client.get(f"/api/v1/lots/{green_lot.code}/labels.pdf", headers=api("staff"))
    assert response.mimetype == "application/pdf"


def test_above_the_threshold_the_api_starts_a_job_that_makes_the_pdf(
    client, app, api, db_session, org, green_lot
):
    """GET labels.pdf changes nothing and holds no web worker: 409 naming the POST; the POST
    answers 202 with the job, whose file is the PDF."""
    _bagged(db_session, org, green_lot, 2)
    app.config["JOBS_LABEL_BAGS"] = 1
    headers = api("staff")
    refused = client.get(f"/api/v1/lots/{green_lot.code}/labels.pdf?layout=single", headers=headers)
    assert refused.status_code == 409
    body = refused.get_json()
    start = f"/api/v1/lots/{green_lot.code}/labels/jobs?layout=single"
    assert (body["error"], body["start"]) == ("job_required", start)
    assert start in body["message"]
    assert _jobs(db_session) == 0

    started = client.post(start, headers=headers)
    assert started.status_code == 202
    job = started.get_json()
    assert job["kind"] == "labels.sheet"
    assert started.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    status = client.get(started.headers["Location"], headers=headers).get_json()
    assert (status["status"], status["total"], status["result"]["bags"]) == ("finished", 2, 2)
    pdf = client.get(f"/api/v1/jobs/{job['id']}/file", headers=headers)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_an_api_label_job_is_refused_for_a_bad_layout_or_a_lot_without_bags(
    client, api, db_session, org, green_lot
):
    headers = api("staff")
    code = green_lot.code
    bad = client.post(f"/api/v1/lots/{code}/labels/jobs?layout=poster", headers=headers)
    assert bad.status_code == 422 and "poster" in bad.get_json()["message"]
    empty = client.post(f"/api/v1/lots/{code}/labels/jobs", headers=headers)
    assert empty.status_code == 404  # a lot without bags has no labels (live_bags_of_lot)
    assert client.post("/api/v1/lots/NO-SUCH/labels/jobs", headers=headers).status_code == 404
    assert _jobs(db_session) == 0


def test_a_label_job_for_another_organisations_lot_is_not_found(
    client, login, db_session, org, other_org, green_lot
):
    _bagged(db_session, org, green_lot, 1)
    login("admin", other_org)
    response = client.post(
        "/labels/jobs", data={"subject": "lot", "reference": green_lot.code, "layout": "sheet"}
    )
    assert response.status_code == 404
    bad = client.post("/labels/jobs", data={"subject": "crate", "reference": "x", "layout": "x"})
    assert bad.status_code == 404


def test_a_label_job_on_a_sqlite_file_writes_its_pdf_after_the_progress_it_committed(tmp_path):
    """On a real SQLite file (WAL) a transaction that read and then writes is refused ("database
    is locked") once another connection committed meanwhile; the job commits its progress (and
    its heartbeat renews the lease) between reading the bags and storing the PDF. The suite's
    rolled-back connection cannot show this: the job runs here on a file of its own."""
    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_database("sqlite", tmp_path, "labels")})
    try:
        with app.app_context(), session_scope(app) as session:
            org = factories.organization(session, "LABELS")
            producer = factories.producer(session, org)
            plot = factories.plot(session, org, producer)
            factories.agreement(session, org, [producer])
            _delivery, lot = factories.delivery(
                session, org, producer, plot, product_form="green", gross_kg=Decimal("1020")
            )
            bag_service.create_bags(session, org.id, None, lot.code, 2)
            # JOBS_IMMEDIATE: the job runs, with the app's real sessions, once this commits.
            job_id = label_jobs.submit(session, org.id, None, "lot", lot.code, "sheet").id
        with session_scope(app) as session:
            job = session.get(Job, job_id)
            assert (job.status, job.error) == (JobStatus.FINISHED, None)
            assert job.result["bags"] == 2
    finally:
        app.extensions["coopchain.db"].engine.dispose()
