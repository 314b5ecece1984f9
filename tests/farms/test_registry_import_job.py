"""A registry workbook above JOBS_IMPORT_ROWS rows is imported by a job: the page answers with
the job's progress page at once; the job imports every row or none and names the bad rows."""

import io

from coopchain.farms.models import Producer
from coopchain.spreadsheets.import_jobs import rows_in
from tests.farms.test_registry_xlsx import count, producers, upload, workbook


def test_rows_are_counted_without_headers_and_a_non_workbook_has_none():
    assert rows_in(workbook(producers(5))) == 5
    assert rows_in(b"not a workbook") == 0


def test_a_big_registry_import_runs_as_a_job(client, app, login, db_session):
    app.config["JOBS_IMPORT_ROWS"] = 3
    login("staff")
    response = upload(client, workbook(producers(4)))
    assert response.status_code == 302 and "/jobs/" in response.location
    status = client.get(response.location + ".json").get_json()
    assert (status["kind"], status["status"]) == ("import.registry", "finished"), status
    assert status["result_url"] == "/producers"
    assert count(db_session, Producer) == 4


def test_a_big_workbook_with_bad_rows_imports_nothing_and_names_them(
    client, app, login, db_session
):
    app.config["JOBS_IMPORT_ROWS"] = 3
    rows = producers(4)
    rows[2][3] = "robot"  # sex: not a choice
    login("staff")
    response = upload(client, workbook(rows))
    status = client.get(response.location + ".json?lang=en").get_json()
    assert status["status"] == "failed"
    assert "Producers 4 (sex)" in status["error"]
    assert count(db_session, Producer) == 0


def test_a_small_import_stays_in_the_request(client, app, login, db_session):
    app.config["JOBS_IMPORT_ROWS"] = 4
    login("staff")
    response = upload(client, workbook(producers(4)))
    assert response.status_code == 302 and response.location.endswith("/producers")
    assert count(db_session, Producer) == 4


def test_a_big_registry_import_through_the_api_is_a_job(client, app, api, db_session):
    """The API imports at the page's threshold as a job: 202 with the job and where to poll."""
    app.config["JOBS_IMPORT_ROWS"] = 3
    headers = api("staff")
    response = client.post(
        "/api/v1/producers/import",
        data={"file": (io.BytesIO(workbook(producers(4))), "registro.xlsx")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 202
    assert response.headers["Location"] == f"/api/v1/jobs/{response.get_json()['id']}"
    status = client.get(response.headers["Location"], headers=headers).get_json()
    assert (status["kind"], status["status"]) == ("import.registry", "finished"), status
    assert status["result"] == {"producers": 4, "agreements": 0, "plots": 0}
    assert count(db_session, Producer) == 4
