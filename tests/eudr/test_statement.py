"""The DDS statement built from plain data (DOMAIN.md §8): every field, the EU's limits checked
before anything leaves, and a shipment over a limit split into complete statements."""

import base64
import json
from decimal import Decimal

import pytest

from coopchain.certs.eudr import EudrPlot
from coopchain.eudr.statement import (
    DdsInput,
    DdsInvalid,
    DdsProducer,
    build_statements,
    check_statement,
)

POLYGON = {
    "type": "Polygon",
    "coordinates": [
        [
            [-77.39012345, -5.68012345],
            [-77.38912345, -5.68012345],
            [-77.38912345, -5.67912345],
            [-77.39012345, -5.67912345],
            [-77.39012345, -5.68012345],
        ]
    ],
}


def point(i: int) -> dict:
    return {"type": "Point", "coordinates": [-77.3 - i * 1e-5, -5.6 - i * 1e-5]}


def plot(i: int, geometry=None, area="1.5") -> EudrPlot:
    return EudrPlot(
        plot_id=i,
        plot_name=f"Parcela {i}",
        producer_code=f"P{i:05d}",
        producer_name=f"Productor {i}",
        community="Alto Mayo",
        crop="coffee",
        geometry=geometry or point(i),
        declared_area_ha=Decimal(area),
        area_ha=Decimal(area),
    )


def producer(i: int, kg="69.000", **plot_kwargs) -> DdsProducer:
    return DdsProducer(
        code=f"P{i:05d}",
        name=f"Productor {i}",
        country="PE",
        plots=[plot(i, **plot_kwargs)],
        net_kg=Decimal(kg),
    )


def data(producers, **changes) -> DdsInput:
    values = dict(
        internal_reference="HH-2026-014",
        operator_role="OPERATOR",
        activity_type="IMPORT",
        country_of_activity="DE",
        eori="DE123456789012345",
        description_of_goods="Green coffee, not roasted (HS 0901.11): 4 bags",
        hs_heading="090111",
        net_kg=sum((p.net_kg for p in producers), Decimal("0.000")),
        producers=producers,
        grouped_declarations=["25DEHH1234567"],
    )
    return DdsInput(**(values | changes))


def test_a_statement_carries_every_field_with_the_api_names():
    plan = build_statements(data([producer(1), producer(2, geometry=POLYGON, area="1")]))
    assert not plan.split and plan.split_reasons == []
    [request] = plan.statements
    assert request["operatorRole"] == "OPERATOR"
    body = request["statement"]
    assert body["internalReferenceNumber"] == "HH-2026-014"
    assert (body["activityType"], body["countryOfActivity"]) == ("IMPORT", "DE")
    assert body["geoLocationConfidential"] is False
    assert body["groupedDeclarations"] == ["25DEHH1234567"]
    [commodity] = body["commodities"]
    assert commodity["position"] == 1
    assert commodity["hsHeading"] == "090111"
    assert commodity["descriptors"]["goodsMeasure"] == {"netWeight": "138.000"}
    assert commodity["speciesInfo"] == {
        "scientificName": "Coffea arabica",
        "commonName": "Arabica coffee",
    }
    first, second = commodity["producers"]
    assert (first["position"], first["country"], first["name"]) == (1, "PE", "Productor 1")
    geo = json.loads(base64.b64decode(second["geometryGeojson"]))
    assert geo["type"] == "FeatureCollection"
    [feature] = geo["features"]
    assert feature["properties"]["ProducerCountry"] == "PE"
    # Positions go out with the 6 decimals the EU keeps (§8).
    assert feature["geometry"]["coordinates"][0][0] == [-77.390123, -5.680123]


def test_1001_producers_make_two_complete_statements_and_the_split_is_explained():
    producers = [producer(i, kg="1.001") for i in range(1, 1002)]
    plan = build_statements(data(producers))

    assert plan.split and len(plan.statements) == 2
    assert [len(codes) for codes in plan.producer_codes] == [1000, 1]
    assert "1,001 producers" in plan.split_reasons[0] and "1,000" in plan.split_reasons[0]
    first, second = (s["statement"] for s in plan.statements)
    assert first["internalReferenceNumber"] == "HH-2026-014/1-2"
    assert second["internalReferenceNumber"] == "HH-2026-014/2-2"
    for statement in plan.statements:  # each part is complete on its own
        body = statement["statement"]
        assert statement["operatorRole"] == "OPERATOR"
        assert (body["activityType"], body["countryOfActivity"]) == ("IMPORT", "DE")
        assert body["commodities"][0]["hsHeading"] == "090111"
        check_statement(statement)
    weights = [
        Decimal(s["statement"]["commodities"][0]["descriptors"]["goodsMeasure"]["netWeight"])
        for s in plan.statements
    ]
    assert weights == [Decimal("1001.000"), Decimal("1.001")]
    assert sum(weights) == Decimal("1002.001")
    # Producers are numbered from 1 in each statement.
    assert second["commodities"][0]["producers"][0]["position"] == 1


def test_1000_producers_stay_one_statement():
    plan = build_statements(data([producer(i) for i in range(1, 1001)]))
    assert len(plan.statements) == 1


def test_a_statement_over_the_geolocation_limit_is_split_by_size():
    producers = [producer(i) for i in range(1, 5)]
    one = len(json.dumps({"type": "FeatureCollection", "features": [{}]}))
    plan = build_statements(data(producers), max_bytes=one * 2 + 300)
    assert plan.split
    assert all(size <= one * 2 + 300 for size in plan.geolocation_bytes)
    assert "geolocation" in plan.split_reasons[-1]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"eori": None}, "eori"),
        ({"activity_type": "EXPORT", "eori": None}, "eori"),
        ({"eori": "12345"}, "eori"),
        ({"net_kg": Decimal("0")}, "netWeight"),
        ({"internal_reference": "X" * 36}, "internalReferenceNumber"),
        ({"description_of_goods": "x" * 151}, "descriptionOfGoods"),
        ({"country_of_activity": "Germany"}, "countryOfActivity"),
        ({"activity_type": "TRADE"}, "activityType"),
        ({"operator_role": "TRADER"}, "operatorRole"),
        ({"hs_heading": "0901.11"}, "hsHeading"),
        ({"grouped_declarations": ["R"] * 2001}, "groupedDeclarations"),
        ({"grouped_declarations": [], "description_of_goods": ""}, "descriptionOfGoods"),
    ],
)
def test_a_broken_rule_is_refused_naming_its_field(changes, field):
    with pytest.raises(DdsInvalid) as caught:
        build_statements(data([producer(1)], **changes))
    assert field in caught.value.fields, caught.value.fields


def test_a_statement_needs_producers():
    with pytest.raises(DdsInvalid) as caught:
        build_statements(data([]))
    assert "producers" in caught.value.fields


def test_domestic_needs_no_eori():
    plan = build_statements(data([producer(1)], activity_type="DOMESTIC", eori=None))
    assert plan.statements[0]["statement"]["activityType"] == "DOMESTIC"


@pytest.mark.parametrize("area", ["0.00005", "4.5"])
def test_a_point_outside_0_0001_to_4_ha_is_refused_naming_the_producer(area):
    bad = producer(7, area=area)
    with pytest.raises(DdsInvalid) as caught:
        build_statements(data([producer(1), bad]))
    assert list(caught.value.fields) == ["producers[P00007]"]


def test_a_producer_country_must_be_iso2():
    bad = producer(3)
    bad.country = "Peru"
    with pytest.raises(DdsInvalid) as caught:
        build_statements(data([bad]))
    assert "producers[P00003]" in caught.value.fields


def test_the_last_guard_checks_commodities_and_producers_per_statement():
    plan = build_statements(data([producer(1)]))
    statement = plan.statements[0]
    commodity = statement["statement"]["commodities"][0]
    statement["statement"]["commodities"] = [commodity] * 101
    with pytest.raises(DdsInvalid) as caught:
        check_statement(statement)
    assert "commodities" in caught.value.fields
    statement["statement"]["commodities"] = [
        commodity | {"producers": commodity["producers"] * 1001}
    ]
    with pytest.raises(DdsInvalid) as caught:
        check_statement(statement)
    assert "commodities[1].producers" in caught.value.fields


def test_a_split_whose_references_would_pass_35_characters_is_refused():
    producers = [producer(i) for i in range(1, 1002)]
    with pytest.raises(DdsInvalid) as caught:
        build_statements(data(producers, internal_reference="R" * 33))
    assert "internalReferenceNumber" in caught.value.fields
