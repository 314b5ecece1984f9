"""Label sheets above JOBS_LABEL_BAGS bags are made by a job: the staff page offers to start
it, the job's page then offers the PDF (the job's file); smaller sheets come at once, and the
API always answers with the PDF."""

import re
import subprocess
from decimal import Decimal

from coopchain import create_app
from coopchain.db import session_scope
from coopchain.job_rows import Job, JobStatus
from coopchain.lots import bags as bag_service
from coopchain.trace import label_jobs
from tests import factories
from tests.helpers import TEST_CONFIG
from tests.jobs.real_databases import fresh_database
from tests.trace.test_labels import require_tool, write


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


def test_a_small_sheet_and_the_api_answer_with_the_pdf_at_once(
    client, app, login, api, db_session, org, green_lot
):
    _bagged(db_session, org, green_lot, 3)
    app.config["JOBS_LABEL_BAGS"] = 3
    login("staff")
    assert client.get(f"/lots/{green_lot.code}/labels.pdf").mimetype == "application/pdf"
    app.config["JOBS_LABEL_BAGS"] = 1
    response = client.get(f"/api/v1/lots/{green_lot.code}/labels.pdf", headers=api("staff"))
    assert response.mimetype == "application/pdf"


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
