"""The staff maps' JSON and pages (issue 15): the plots' GeoJSON scoped to the organisation with
each plot's statuses, the live geometry check pointing at the faulty edge or vertex, the
protected-area uploads with precise refusals and a ledger event per write, and the tile host
in the pages' Content-Security-Policy."""

import json
from datetime import date, timedelta

from sqlalchemy import select

from coopchain.clock import today
from coopchain.farms.models import ProtectedArea
from coopchain.forest.evidence import record_evidence
from coopchain.ledger.models import LedgerEvent
from tests import factories

BOW_TIE = {
    "type": "Polygon",
    "coordinates": [
        [
            [-77.410000, -5.700000],
            [-77.408900, -5.701110],
            [-77.408900, -5.700000],
            [-77.410000, -5.701110],
            [-77.410000, -5.700000],
        ]
    ],
}
AREA = {
    "type": "Feature",
    "properties": {"name": "BPAM"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[-77.8, -5.4], [-77.3, -5.4], [-77.3, -5.6], [-77.8, -5.6], [-77.8, -5.4]]
        ],
    },
}


def features_by_name(response) -> dict:
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    return {f["properties"]["name"]: f for f in response.get_json()["features"]}


def test_plot_geojson_is_the_organisations_plots_with_their_statuses(
    client, login, db_session, org, other_org
):
    covered = factories.producer(db_session, org)
    factories.agreement(db_session, org, [covered])
    alone = factories.producer(db_session, org)
    mapped = factories.plot(db_session, org, covered, name="Mapeada")
    record_evidence(
        db_session,
        org.id,
        None,
        mapped.id,
        {
            "result": "loss_after_cutoff",
            "loss_after_cutoff_ha": "0.5",
            "source": "Hansen",
            "observed_on": date(2025, 1, 5),
        },
    )
    # Converting since a year before the (pinned) day: still in its 36-month conversion.
    converting_since = today() - timedelta(days=365)
    factories.plot(db_session, org, alone, name="Nueva", organic_conversion_start=converting_since)
    factories.plot(db_session, org, alone, name="Sin mapa", geometry=None)
    stranger = factories.producer(db_session, other_org)
    factories.plot(db_session, other_org, stranger, name="Ajena")
    login("staff")

    plots = features_by_name(client.get("/map/plots.geojson"))
    assert set(plots) == {"Mapeada", "Nueva"}  # no other organisation's, none without a map
    first, second = plots["Mapeada"]["properties"], plots["Nueva"]["properties"]
    assert plots["Mapeada"]["geometry"] == factories.square()
    assert (first["forest"], first["organic"], first["agreement"]) == (
        "loss_after_cutoff",
        "organic",
        "in_force",
    )
    assert (second["forest"], second["organic"], second["agreement"]) == (
        "missing",
        "in_conversion",
        "none",
    )
    assert first["geometry_status"] == "ok" and first["member_code"] == covered.member_code
    assert first["producer_url"] == f"/producers/{covered.id}"
    assert first["edit_url"] == f"/plots/{mapped.id}/edit"

    only = features_by_name(client.get(f"/map/plots.geojson?producer_id={alone.id}"))
    assert set(only) == {"Nueva"}
    one = features_by_name(client.get(f"/map/plots.geojson?plot_id={mapped.id}"))
    assert set(one) == {"Mapeada"}


def test_plot_geojson_refuses_a_bad_filter_and_gives_auditors_no_edit_link(
    client, login, db_session, org
):
    producer = factories.producer(db_session, org)
    factories.plot(db_session, org, producer, name="Mapeada")
    login("auditor")
    response = client.get("/map/plots.geojson?producer_id=abc")
    assert response.status_code == 400
    assert "producer_id" in response.get_json()["error"]
    plots = features_by_name(client.get("/map/plots.geojson"))
    assert plots["Mapeada"]["properties"]["edit_url"] is None


def check(client, geometry, **extra):
    body = {"geometry": json.dumps(geometry), "crop": "coffee", **extra}
    return client.post("/plots/geometry/check", json=body)


def english(client) -> None:
    assert client.get("/lang/en").status_code == 302


def test_live_check_points_at_the_crossing_edges(client, login):
    login("staff")
    english(client)
    response = check(client, BOW_TIE)
    assert response.status_code == 200
    result = response.get_json()
    assert result["ok"] is False
    [issue] = result["errors"]
    assert issue["rule"] == "ring.self_intersection"
    assert "edge 1 meets edge 3" in issue["message"]  # counted from 1 for people
    assert (issue["params"]["edge_a"], issue["params"]["edge_b"]) == (0, 2)
    ring = BOW_TIE["coordinates"][0]
    assert issue["marks"] == [
        {"type": "edge", "from": ring[0], "to": ring[1]},
        {"type": "edge", "from": ring[2], "to": ring[3]},
    ]


def test_live_check_points_at_the_duplicate_vertex_and_passes_a_good_plot(client, login):
    login("staff")
    ring = factories.square()["coordinates"][0]
    doubled = [ring[0], ring[1], [ring[1][0] + 0.0000001, ring[1][1]], *ring[2:]]
    result = check(client, {"type": "Polygon", "coordinates": [doubled]}).get_json()
    duplicate = [i for i in result["errors"] if i["rule"] == "vertex.duplicate_after_rounding"]
    assert duplicate and duplicate[0]["marks"] == [{"type": "vertex", "at": doubled[2]}]

    good = check(client, factories.square(), declared_area_ha="1,2").get_json()
    assert good["ok"] is True and good["errors"] == [] and good["warnings"] == []
    assert good["computed_area_ha"].startswith("1.2")


def test_live_check_refuses_what_is_not_a_draft(client, login):
    login("staff")
    assert client.post("/plots/geometry/check", json={"geometry": 3}).status_code == 400
    assert client.post("/plots/geometry/check", data="not json").status_code == 400
    broken = client.post("/plots/geometry/check", json={"geometry": '{"type": '}).get_json()
    assert broken["errors"][0]["rule"] == "json.invalid"
    deep = '{"type": "GeometryCollection", "geometries": [' * 2000 + "]}" * 2000
    nested = client.post("/plots/geometry/check", json={"geometry": deep})
    assert nested.status_code == 200 and nested.get_json()["ok"] is False


def logged_in_client(app, db_session, org, role="staff", token=None):
    client = app.test_client()
    user = factories.user(db_session, org, role)
    data = {"email": user.email, "password": "pw-1234"}
    if token:
        page = client.get("/login").data.decode()
        data["csrf_token"] = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/login", data=data).status_code == 302
    return client


def test_live_check_needs_the_csrf_token(make_app, db_session, org):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = logged_in_client(app, db_session, org, token=True)
    body = {"geometry": json.dumps(BOW_TIE)}
    refused = client.post("/plots/geometry/check", json=body)
    assert refused.status_code == 400
    assert b"ring.self_intersection" not in refused.data
    page = client.get("/map").data.decode()
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    answered = client.post("/plots/geometry/check", json=body, headers={"X-CSRFToken": token})
    assert answered.get_json()["errors"][0]["rule"] == "ring.self_intersection"


def upload(client, geometry_text, **fields):
    data = {"name": "Bosque de Protección Alto Mayo", "kind": "protected_area", **fields}
    return client.post("/map/areas", data={**data, "geometry": geometry_text})


def ledger_kinds(db_session, org) -> list[str]:
    return list(
        db_session.scalars(
            select(LedgerEvent.kind)
            .where(LedgerEvent.organization_id == org.id, LedgerEvent.kind.like("protected_area%"))
            .order_by(LedgerEvent.seq)
        )
    )


def test_admin_uploads_lists_and_deletes_an_outline_with_ledger_events(
    client, login, db_session, org
):
    login("admin")
    response = upload(client, json.dumps(AREA), approximate="y", source="Trazo a mano")
    assert response.status_code == 302
    area = db_session.scalar(select(ProtectedArea))
    assert area.organization_id == org.id and area.approximate is True
    assert area.geometry == AREA["geometry"]
    page = client.get("/map/areas").data.decode()
    assert "Bosque de Protección Alto Mayo" in page and "Trazo a mano" in page
    outlines = client.get("/map/areas.geojson").get_json()["features"]
    assert [f["properties"]["approximate"] for f in outlines] == [True]

    assert client.post(f"/map/areas/{area.id}/delete").status_code == 302
    assert db_session.scalar(select(ProtectedArea)) is None
    assert ledger_kinds(db_session, org) == ["protected_area.uploaded", "protected_area.deleted"]


def test_an_uploaded_file_is_read(client, login, db_session):
    import io

    login("admin")
    file = (io.BytesIO(json.dumps({"type": "FeatureCollection", "features": [AREA]}).encode()),)
    response = client.post(
        "/map/areas",
        data={"name": "BPAM", "kind": "buffer_zone", "geometry_file": (*file, "bpam.geojson")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db_session.scalar(select(ProtectedArea)).kind == "buffer_zone"


def refusal(client, text) -> str:
    response = upload(client, text)
    assert response.status_code == 422
    # The summary names the field; the message itself stands under the field (said once).
    page = response.data.decode()
    return page.split("<main>")[1].split("</main>")[0]


def test_bad_outlines_are_refused_naming_the_fault(client, login, db_session, org):
    login("admin")
    english(client)
    assert "not valid JSON (line 1, column 10)" in refusal(client, '{"type": ]')
    crossing = {"type": "Polygon", "coordinates": [[[-77, -5], [-76, -6], [-76, -5], [-77, -6]]]}
    crossing["coordinates"][0].append([-77, -5])
    message = refusal(client, json.dumps(crossing))
    assert "polygon 1 crosses or overlaps itself near [-76.5, -5.5]" in message
    line = {"type": "LineString", "coordinates": [[-77, -5], [-76, -6]]}
    assert "is a LineString; an area outline must be a Polygon" in refusal(client, json.dumps(line))
    collection = {
        "type": "FeatureCollection",
        "features": [AREA, {"type": "Feature", "geometry": line}],
    }
    assert "Feature 2 is a LineString" in refusal(client, json.dumps(collection))
    open_ring = {"type": "Polygon", "coordinates": [[[-77, -5], [-76, -6], [-76, -5], [-77, -6]]]}
    assert "ring 1 is not closed" in refusal(client, json.dumps(open_ring))
    assert "No GeoJSON given" in refusal(client, "")
    assert db_session.scalar(select(ProtectedArea)) is None
    assert ledger_kinds(db_session, org) == []


def test_staff_may_not_upload_outlines(client, login):
    login("staff")
    assert upload(client, json.dumps(AREA)).status_code == 403


def test_staff_pages_allow_images_from_the_tile_host_only(make_app, db_session, org):
    app = make_app(
        MAP_TILES="https://{s}.tiles.example.org/{z}/{x}/{y}.png",
        MAP_SATELLITE_TILES="https://sat.example.net/{z}/{y}/{x}",
    )
    client = logged_in_client(app, db_session, org)
    response = client.get("/map")
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["img-src"].split() == [
        "'self'",
        "data:",
        "https://*.tiles.example.org",
        "https://sat.example.net",
    ]
    page = response.data.decode()
    assert 'data-tiles="https://{s}.tiles.example.org/{z}/{x}/{y}.png"' in page
    assert "unpkg" not in page and "cdn" not in page.lower()


def test_the_default_basemap_is_openstreetmap_with_its_attribution(client, login):
    login("staff")
    response = client.get("/map")
    assert (
        "img-src 'self' data: https://tile.openstreetmap.org;"
        in (response.headers["Content-Security-Policy"])
    )
    page = response.data.decode()
    assert "OpenStreetMap" in page and "/static/vendor/leaflet/leaflet.js" in page
