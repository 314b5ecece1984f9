"""Importing plots from field exports: preview, all or nothing, idempotent re-imports, saved
mappings; through the service, the API, the page and the command (both databases)."""

import io
import json

from sqlalchemy import func, select

from coopchain.farms.models import Plot
from coopchain.fieldtools.imports import import_field_plots
from coopchain.fieldtools.models import FieldImportMapping, FieldSubmission
from coopchain.ledger.models import LedgerEvent
from tests import factories
from tests.fieldtools import exports as ex


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def members(db_session, org, n=2):
    return [
        factories.producer(db_session, org, member_code=f"M-{i:04d}", national_id=f"0123456{i}")
        for i in range(1, n + 1)
    ]


def kobo_file(n=3, **row):
    rows = [ex.kobo_row(i, ex.odk(ex.ring(lat=-5.70 - i * 0.01)), **row) for i in range(1, n + 1)]
    return ex.kobo_xlsx(rows)


def post_api(client, headers, data, fmt="kobo", name="export.xlsx", **form):
    return client.post(
        "/api/v1/plots/import",
        headers=headers,
        data={"file": (io.BytesIO(data), name), "format": fmt, **form},
        content_type="multipart/form-data",
    )


def test_service_previews_then_writes_every_plot_with_its_accuracies(db_session, org):
    members(db_session, org)
    progress = []
    preview = import_field_plots(
        db_session, org.id, None, kobo_file(), "kobo", confirm=False, max_accuracy_m=10
    )
    assert (preview.count("new"), preview.written, count(db_session, Plot)) == (3, False, 0)
    plan = import_field_plots(
        db_session,
        org.id,
        None,
        kobo_file(),
        "kobo",
        confirm=True,
        max_accuracy_m=10,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert plan.written and len(plan.created_plot_ids) == 3
    assert progress[-1] == (6, 6)  # three rows checked, three written
    plot = db_session.get(Plot, plan.created_plot_ids[0])
    assert plot.geometry["type"] == "Polygon" and len(plot.geometry["coordinates"][0]) == 12
    assert plot.crop == "coffee" and plot.computed_area_ha > 0
    query = select(FieldSubmission).where(FieldSubmission.plot_id == plot.id)
    submission = db_session.scalar(query)
    assert submission.accuracies[:3] == [4.5, 5.0, 5.5]
    kinds = list(db_session.scalars(select(LedgerEvent.kind)))
    assert kinds.count("plot.created") == 3 and "plots.field_imported" in kinds


def test_reimporting_the_same_submissions_changes_nothing_and_says_so(client, api, db_session, org):
    members(db_session, org)
    headers = api("staff")
    first = post_api(client, headers, kobo_file(), confirm="true")
    assert first.status_code == 201, first.json
    events = count(db_session, LedgerEvent)
    again = post_api(client, headers, kobo_file(), confirm="true")
    assert again.status_code == 200
    assert again.json["written"] is False
    assert again.json["counts"]["imported_before"] == 3 and again.json["counts"]["created"] == 0
    assert (count(db_session, Plot), count(db_session, LedgerEvent)) == (3, events)


def test_one_bad_row_writes_nothing_and_names_row_column_and_vertex(client, api, db_session, org):
    members(db_session, org)
    lat, lon = -5.701234, -77.412345
    bow = [(lat, lon, 0, 3), (lat, lon + 0.001, 0, 3), (lat + 0.001, lon, 0, 3)]
    bow += [(lat + 0.001, lon + 0.001, 0, 3), bow[0]]
    rows = [
        ex.kobo_row(1, ex.odk(ex.ring())),
        ex.kobo_row(2, ex.odk(bow)),  # crosses itself
        ex.kobo_row(3, "-77.412345 -5.711234 1100 4"),  # longitude first: swapped
        ex.kobo_row(4, ex.odk(ex.ring(lat=-5.72)), member="M-0404"),
    ]
    response = post_api(client, api("staff"), ex.kobo_xlsx(rows), confirm="true")
    assert response.status_code == 422
    where = [(e["row"], e["column"], e["vertex"], e["rule"]) for e in response.json["errors"]]
    assert where == [
        (3, "datos/linderos", 2, "ring.self_intersection"),
        (4, "datos/linderos", 1, "coordinate.swapped"),
        (5, "datos/codigo_socio", None, "row.producer_code"),
    ]
    assert response.json["unmatched_producers"] == [{"value": "M-0404", "rows": [5]}]
    assert count(db_session, Plot) == 0 and count(db_session, FieldSubmission) == 0


def test_dni_mapping_and_saved_mapping_is_offered_next_time(client, api, db_session, org):
    members(db_session, org)
    headers = api("staff")
    mapping = {
        "producer_column": "datos/codigo_socio",
        "producer_key": "national_id",
        "crop_column": "",
        "crop": "pitahaya",
    }
    data = kobo_file(n=1, member="1234561")  # Excel dropped the DNI's leading zero
    response = post_api(client, headers, data, confirm="true", mapping=json.dumps(mapping))
    assert response.status_code == 201, response.json
    assert db_session.get(Plot, response.json["plot_ids"][0]).crop == "pitahaya"
    saved = db_session.scalar(select(FieldImportMapping))
    assert saved.mapping["producer_key"] == "national_id"
    later = post_api(client, headers, kobo_file(n=2, member="1234562"))
    assert later.json["mapping_source"] == "saved"
    assert later.json["counts"]["new"] == 1 and later.json["counts"]["imported_before"] == 1


def test_mapping_naming_a_missing_column_is_refused_by_field(client, api, db_session, org):
    response = post_api(
        client, api("staff"), kobo_file(n=1), mapping=json.dumps({"name_column": "nope"})
    )
    assert response.status_code == 422
    assert "nope" in response.json["fields"]["name_column"][0]
    bad_json = post_api(client, api("staff"), kobo_file(n=1), mapping="{")
    assert bad_json.status_code == 422 and "mapping" in bad_json.json["fields"]


def test_api_refuses_an_unusable_file_and_a_missing_format(client, api, db_session, org):
    headers = api("staff")
    assert post_api(client, headers, b"<kml", fmt="kml").json["error"] == "bad_file"
    response = client.post(
        "/api/v1/plots/import",
        headers=headers,
        data={"file": (io.BytesIO(b"x"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "format" in response.json["fields"]
    assert post_api(client, api("auditor"), kobo_file()).status_code == 403


def test_kml_with_a_hole_and_gpx_closed_track_through_the_api(client, api, db_session, org):
    members(db_session, org)
    headers = api("staff")
    holed = ex.kml(ex.placemark("Alto", "M-0001", ex.ring(radius=0.001), ex.ring(radius=0.0003)))
    mapping = json.dumps({"producer_column": "socio", "name_column": "name"})
    response = post_api(client, headers, holed, "kml", "p.kml", confirm="true", mapping=mapping)
    assert response.status_code == 422
    assert [(e["row"], e["rule"]) for e in response.json["errors"]] == [(1, "shape.holes")]
    walk = ex.gpx(ex.ring(n=30, radius=0.0008), name="M-0002")
    mapping = {"producer_column": "name", "name_column": "name"}
    refused = post_api(client, headers, walk, "gpx", "t.gpx", mapping=json.dumps(mapping))
    assert [e["rule"] for e in refused.json["errors"]] == ["shape.closed_trace"]
    confirmed = post_api(
        client,
        headers,
        walk,
        "gpx",
        "t.gpx",
        confirm="true",
        mapping=json.dumps({**mapping, "lines_as_polygons": True}),
    )
    assert confirmed.status_code == 201, confirmed.json
    assert db_session.get(Plot, confirmed.json["plot_ids"][0]).geometry["type"] == "Polygon"


def test_page_upload_mapping_preview_and_import(client, login, db_session, org):
    members(db_session, org)
    login("staff")
    response = client.post(
        "/plots/import",
        data={"file": (io.BytesIO(kobo_file()), "linderos.xlsx"), "format": "kobo"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    review = response.location
    page = client.get(review).data.decode()
    assert 'id="field-import-map"' in page and "datos/linderos" in page
    assert 'value="import"' in page and "M-0001" in page
    done = client.post(
        review,
        data={
            "action": "import",
            "producer_column": "datos/codigo_socio",
            "producer_key": "member_code",
            "name_column": "datos/nombre_parcela",
            "crop_column": "datos/cultivo",
            "crop": "coffee",
            "geometry_column": "datos/linderos",
            "geometry_type": "geoshape",
            "area_unit": "ha",
        },
    )
    assert done.status_code == 302, done.data.decode()
    assert count(db_session, Plot) == 3
    assert client.get(review).status_code == 404  # the upload is gone once imported


def test_page_lists_problems_and_refuses_the_import(client, login, db_session, org):
    members(db_session, org)
    login("staff")
    rows = [ex.kobo_row(1, ex.odk(ex.ring())), ex.kobo_row(2, "-5.70 -77.41; ; -5.71 -77.42")]
    response = client.post(
        "/plots/import",
        data={"file": (io.BytesIO(ex.kobo_xlsx(rows)), "l.xlsx"), "format": "kobo"},
        content_type="multipart/form-data",
    )
    page = client.get(response.location).data.decode()
    assert "<td>3</td><td>datos/linderos</td><td>2</td>" in page
    assert 'value="import"' not in page
    forced = client.post(response.location, data={"action": "import"})
    assert forced.status_code == 422 and count(db_session, Plot) == 0


def test_page_refuses_a_bad_file_on_the_upload_step(client, login, db_session, org):
    login("staff")
    response = client.post(
        "/plots/import",
        data={"file": (io.BytesIO(b"<gpx>"), "x.gpx"), "format": "gpx"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "GPX" in response.data.decode()


def test_another_organisation_cannot_open_an_upload(client, login, db_session, org, other_org):
    from coopchain.fieldtools.uploads import keep_upload

    token = keep_upload(db_session, org.id, kobo_file(n=1), "kobo", "a.xlsx")
    login("admin", other_org)
    assert client.get(f"/plots/import/{token}").status_code == 404


KOBO_MAPPING = {
    "action": "import",
    "producer_column": "datos/codigo_socio",
    "producer_key": "member_code",
    "name_column": "datos/nombre_parcela",
    "crop_column": "datos/cultivo",
    "crop": "coffee",
    "geometry_column": "datos/linderos",
    "geometry_type": "geoshape",
    "area_unit": "ha",
}


def _review(client, rows_file):
    response = client.post(
        "/plots/import",
        data={"file": (io.BytesIO(rows_file), "linderos.xlsx"), "format": "kobo"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    return response.location


def test_a_big_file_is_checked_in_the_page_and_written_by_a_job(
    client, app, login, db_session, org
):
    app.config["JOBS_IMPORT_ROWS"] = 2
    members(db_session, org)
    login("staff")
    done = client.post(_review(client, kobo_file()), data=KOBO_MAPPING)
    assert done.status_code == 302 and "/jobs/" in done.location
    status = client.get(done.location + ".json").get_json()
    assert (status["kind"], status["status"]) == ("import.plots", "finished"), status
    assert status["result_url"] == "/map"
    assert count(db_session, Plot) == 3


def test_a_big_file_with_a_bad_row_starts_no_job_and_shows_the_row(
    client, app, login, db_session, org
):
    app.config["JOBS_IMPORT_ROWS"] = 1
    members(db_session, org)
    login("staff")
    rows = [ex.kobo_row(1, ex.odk(ex.ring())), ex.kobo_row(2, "-5.70 -77.41; ; -5.71 -77.42")]
    forced = client.post(_review(client, ex.kobo_xlsx(rows)), data=KOBO_MAPPING)
    assert forced.status_code == 422
    assert "<td>3</td><td>datos/linderos</td><td>2</td>" in forced.data.decode()
    assert count(db_session, Plot) == 0
