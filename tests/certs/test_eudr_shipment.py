"""The EUDR package of a shipment (issue 5 item 6): its origin plots read from the database,
the GeoJSON the importer downloads, and the refusals (invalid plots, pitahaya)."""

import functools
import json
from datetime import date
from decimal import Decimal

import pytest

from coopchain.certs import eudr, eudr_shipment
from coopchain.certs.eudr import EudrInvalid
from coopchain.certs.eudr_shipment import OutsideEudr, shipment_package
from coopchain.errors import DomainError
from coopchain.farms.geometry_validation import validate_plot_geometry
from coopchain.lots import bags, transformations
from coopchain.shipments import services as shipments
from tests import factories

REF = "HH-2026-01"
POINT = {"type": "Point", "coordinates": [-77.3901234, -5.6801234]}


def round_trips(feature: dict) -> bool:
    """The whole Feature (its Area property included) passes the plot import's validator."""
    area = Decimal(str(feature["properties"]["Area"]))
    report = validate_plot_geometry(feature, crop="coffee", declared_area_ha=area)
    assert report.errors == [], [issue.message for issue in report.errors]
    return report.ok


def shipment(db_session, org, crop="coffee", reference=REF):
    return shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": reference, "crop": crop, "buyer_name": "Kaffee GmbH", "buyer_country": "DE"},
    )


def green_lot(db_session, org, plot_fields=None, **producer_fields):
    producer = factories.producer(db_session, org, **producer_fields)
    plot = factories.plot(db_session, org, producer, **(plot_fields or {}))
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    return lot, plot, producer


@pytest.fixture
def blend(db_session, org):
    """A shipment of 4 bags from a merge of two producers' lots: a polygon plot and a point."""
    a, plot_a, producer_a = green_lot(db_session, org, first_name="Rosa")
    b, plot_b, producer_b = green_lot(
        db_session,
        org,
        {"geometry": POINT, "declared_area_ha": Decimal("2.5")},
        first_name="Ñusta",
        community="Alto Mayo",
    )
    merge = transformations.merge(
        db_session, org.id, None, [(a.code, None), (b.code, None)], date(2026, 6, 2)
    )
    merged = transformations.parts_of(db_session, merge)[1][0]
    bags.create_bags(db_session, org.id, None, merged.code, 4)
    shipment(db_session, org)
    shipments.allocate(db_session, org.id, None, REF, lot_codes=[merged.code])
    return {plot_a.id: (plot_a, producer_a), plot_b.id: (plot_b, producer_b)}


def test_the_package_has_one_valid_feature_per_origin_plot(db_session, org, blend):
    package = shipment_package(db_session, org.id, REF)

    assert (package.hs_code, package.net_kg) == ("0901.11", Decimal("276.000"))
    assert (package.plot_count, package.producer_count, package.split) == (2, 2, False)
    [part] = package.parts
    features = json.loads(eudr.part_bytes(part))["features"]
    by_name = {f["properties"]["ProducerName"]: f for f in features}
    assert set(by_name) == {producer.full_name for _plot, producer in blend.values()}
    for feature in features:
        assert set(feature["properties"]) == {
            "ProducerName",
            "ProducerCountry",
            "ProductionPlace",
            "Area",
        }
        assert feature["properties"]["ProducerCountry"] == "PE"
        assert isinstance(feature["properties"]["Area"], float)
        # The same validator the plot import uses accepts what we send.
        assert round_trips(feature)
    point = next(f for f in features if f["geometry"]["type"] == "Point")
    assert point["geometry"]["coordinates"] == [-77.390123, -5.680123]  # [lon, lat], 6 decimals
    assert point["properties"]["Area"] == 2.5
    assert point["properties"]["ProductionPlace"] == "Alto Mayo"


def test_plots_without_eudr_geolocation_refuse_the_package_by_name(db_session, org):
    lot, plot, producer = green_lot(db_session, org, {"geometry": None})
    big, big_plot, _p = green_lot(
        db_session, org, {"geometry": POINT, "declared_area_ha": Decimal("3")}
    )
    # Recorded before the 4 ha rule was enforced: the registry now says 5.5 ha for a point.
    big_plot.declared_area_ha = Decimal("5.5")
    db_session.flush()
    for code in (lot.code, big.code):
        bags.create_bags(db_session, org.id, None, code, 1)
    shipment(db_session, org)
    shipments.allocate(db_session, org.id, None, REF, lot_codes=[lot.code, big.code])

    with pytest.raises(EudrInvalid) as refused:
        shipment_package(db_session, org.id, REF)
    offending = {plot_id for plot_id, *_rest in refused.value.offending}
    assert offending == {plot.id, big_plot.id}
    lines = refused.value.fields["plots"]
    assert any(big_plot.name in line and "4 ha" in line for line in lines)
    assert any(plot.name in line and producer.member_code in line for line in lines)


def test_pitahaya_is_outside_the_eudr(db_session, org):
    shipment(db_session, org, crop="pitahaya", reference="PIT-01")
    with pytest.raises(OutsideEudr, match="outside the EUDR"):
        shipment_package(db_session, org.id, "PIT-01")


def test_a_shipment_without_bags_has_nothing_to_geolocate(db_session, org):
    shipment(db_session, org)
    with pytest.raises(DomainError, match="No bags"):
        shipment_package(db_session, org.id, REF)


# --- through the API --------------------------------------------------------------------------


def test_the_geojson_download(client, api, blend):
    headers = api("auditor")
    response = client.get(f"/api/v1/shipments/{REF}/eudr.geojson", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert response.headers["X-EUDR-Parts"] == "1"
    assert f"eudr-{REF}.geojson" in response.headers["Content-Disposition"]
    collection = json.loads(response.data)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 2
    for feature in collection["features"]:
        assert round_trips(feature)

    summary = client.get(f"/api/v1/shipments/{REF}/eudr.json", headers=headers).json
    assert (summary["hs_code"], summary["net_kg"]) == ("0901.11", "276.000")
    assert (summary["producer_count"], summary["plot_count"], summary["part_count"]) == (2, 2, 1)
    assert summary["parts"][0]["url"].endswith("eudr.geojson?part=1")
    assert summary["parts"][0]["bytes"] == len(response.data)


def test_a_split_package_is_downloaded_part_by_part(client, api, blend, monkeypatch):
    # One producer per part instead of 1,000, to split two producers without 1,001 of them.
    monkeypatch.setattr(
        eudr_shipment, "build_package", functools.partial(eudr.build_package, max_producers=1)
    )
    headers = api("staff")
    whole = client.get(f"/api/v1/shipments/{REF}/eudr.geojson", headers=headers)
    assert whole.status_code == 422 and whole.headers["X-EUDR-Parts"] == "2"
    assert "part" in whole.json["fields"]
    names = set()
    for number in (1, 2):
        part = client.get(f"/api/v1/shipments/{REF}/eudr.geojson?part={number}", headers=headers)
        assert part.status_code == 200 and part.headers["X-EUDR-Parts"] == "2"
        assert f"part{number}of2" in part.headers["Content-Disposition"]
        [feature] = json.loads(part.data)["features"]
        names.add(feature["properties"]["ProducerName"])
    assert len(names) == 2
    for bad in ("3", "0", "x"):
        response = client.get(f"/api/v1/shipments/{REF}/eudr.geojson?part={bad}", headers=headers)
        assert response.status_code == 422, bad
    summary = client.get(f"/api/v1/shipments/{REF}/eudr.json", headers=headers).json
    assert summary["split"] is True and summary["part_count"] == 2


def test_an_invalid_plot_is_listed_in_the_refusal(client, api, db_session, org):
    lot, plot, _producer = green_lot(db_session, org, {"geometry": None})
    bags.create_bags(db_session, org.id, None, lot.code, 1)
    shipment(db_session, org)
    shipments.allocate(db_session, org.id, None, REF, lot_codes=[lot.code])
    for document in ("eudr.geojson", "eudr.json"):
        response = client.get(f"/api/v1/shipments/{REF}/{document}", headers=api())
        assert response.status_code == 422
        assert response.json["error"] == "eudr_invalid"
        [line] = response.json["fields"]["plots"]
        assert plot.name in line


def test_a_pitahaya_shipment_is_refused_over_the_api(client, api, db_session, org):
    shipment(db_session, org, crop="pitahaya", reference="PIT-01")
    response = client.get("/api/v1/shipments/PIT-01/eudr.geojson", headers=api())
    assert response.status_code == 422 and "outside the EUDR" in response.json["message"]


def test_another_organisations_shipment_has_no_package(client, api, other_org, blend):
    response = client.get(f"/api/v1/shipments/{REF}/eudr.geojson", headers=api("admin", other_org))
    assert response.status_code == 404


# --- a large shipment's package as a job ------------------------------------------------------


def test_a_large_shipments_package_is_built_by_a_job(client, app, login, api, blend):
    """Above JOBS_CERTIFICATE_BAGS bags the staff button offers a job and the API names the
    POST that starts one; both jobs' file is the GeoJSON the API gives below the threshold."""
    headers = api("auditor")
    direct = client.get(f"/api/v1/shipments/{REF}/eudr.geojson", headers=headers)
    assert direct.mimetype == "application/geo+json"
    app.config["JOBS_CERTIFICATE_BAGS"] = 1
    login("auditor")
    offer = client.get(f"/shipments/{REF}/eudr.geojson")
    assert offer.mimetype == "text/html"
    assert f'action="/shipments/{REF}/eudr/jobs"' in offer.get_data(as_text=True)
    started = client.post(f"/shipments/{REF}/eudr/jobs")
    assert started.status_code == 302 and "/jobs/" in started.location
    status = client.get(started.location + ".json").get_json()
    assert (status["kind"], status["status"]) == ("eudr.package", "finished"), status
    made = client.get(status["result_url"])
    assert made.mimetype == "application/geo+json"
    assert made.data == direct.data

    for url in ("eudr.geojson", "eudr.geojson?part=1", "eudr.json"):
        refused = client.get(f"/api/v1/shipments/{REF}/{url}", headers=headers)
        assert refused.status_code == 409, url
        assert refused.get_json()["start"] == f"/api/v1/shipments/{REF}/eudr/jobs", url
    accepted = client.post(f"/api/v1/shipments/{REF}/eudr/jobs", headers=headers)
    assert accepted.status_code == 202 and accepted.get_json()["kind"] == "eudr.package"
    job_id = accepted.get_json()["id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()["status"] == "finished"
    assert client.get(f"/api/v1/jobs/{job_id}/file", headers=headers).data == direct.data


def test_another_organisations_shipment_starts_no_package_job(client, api, other_org, blend):
    response = client.post(f"/api/v1/shipments/{REF}/eudr/jobs", headers=api("admin", other_org))
    assert response.status_code == 404


def test_a_package_of_several_parts_is_one_zip_of_them():
    import io
    import zipfile

    from coopchain.certs.eudr_jobs import package_file

    parts = [{"type": "FeatureCollection", "features": []}] * 2
    name, content_type, data = package_file("R-1", parts)
    assert (name, content_type) == ("eudr-R-1.zip", "application/zip")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["eudr-R-1-part1of2.geojson", "eudr-R-1-part2of2.geojson"]
