"""The EUDR geolocation package (issue 5 item 6, DOMAIN.md §2): what the EU importer receives."""

import json
import random
from decimal import Decimal

import pytest
from flask_babel import force_locale

from coopchain.certs.eudr import (
    EudrInvalid,
    EudrPlot,
    EudrTooLarge,
    build_package,
    package_summary,
    part_bytes,
)
from coopchain.errors import DomainError
from coopchain.farms.geometry_validation import validate_plot_geometry
from tests.factories import square

NET = Decimal("13800.00")
PROPERTIES = {"ProducerName", "ProducerCountry", "ProductionPlace", "Area"}
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [
        [
            [-77.401000, -5.681000],
            [-77.389000, -5.691000],
            [-77.389000, -5.681000],
            [-77.401000, -5.691000],
            [-77.401000, -5.681000],
        ]
    ],
}


def point(lon=-77.4123456, lat=-5.7012345):
    return {"type": "Point", "coordinates": [lon, lat]}


def eudr_plot(plot_id, producer="CAF-0001", geometry=None, declared="1.2", area=None, **fields):
    declared = None if declared is None else Decimal(declared)
    data = {
        "plot_id": plot_id,
        "plot_name": f"Parcela {plot_id}",
        "producer_code": producer,
        "producer_name": f"Productor {producer}",
        "community": "Nuevo Edén",
        "crop": "coffee",
        "geometry": square() if geometry is None else geometry,
        "declared_area_ha": declared,
        "area_ha": Decimal(area) if area is not None else declared,
        "geometry_issues": [],
        **fields,
    }
    return EudrPlot(**data)


def sent(part: dict) -> dict:
    """The part as the importer reads it: parsed back from the bytes we send."""
    return json.loads(part_bytes(part).decode("utf-8"))


def features(pkg) -> list[dict]:
    return [f for part in pkg.parts for f in sent(part)["features"]]


def test_polygon_and_point_become_features_with_exactly_the_four_properties():
    polygon = square(lon=-77.4123454, lat=-5.7012346)  # 6-decimal square from the factory
    polygon["coordinates"][0] = [[x + 0.0000004, y] for x, y in polygon["coordinates"][0]]
    plots = [
        eudr_plot(1, "CAF-0002", polygon, declared="1.2", area="1.2267", community="Alto Mayo"),
        eudr_plot(2, "CAF-0001", point(), declared="3.25"),
    ]

    pkg = build_package(plots, net_kg=NET)

    assert (pkg.plot_count, pkg.producer_count, pkg.split) == (2, 2, False)
    assert (pkg.hs_code, pkg.net_kg) == ("0901.11", NET)
    collection = sent(pkg.parts[0])
    assert set(collection) == {"type", "features"}
    assert collection["type"] == "FeatureCollection"
    first, second = collection["features"]  # ordered by producer code: CAF-0001 first
    for feature in (first, second):
        assert set(feature) == {"type", "geometry", "properties"}
        assert set(feature["properties"]) == PROPERTIES
        assert feature["properties"]["ProducerCountry"] == "PE"
        assert isinstance(feature["properties"]["Area"], float)
    assert first["geometry"] == {"type": "Point", "coordinates": [-77.412346, -5.701234]}
    assert first["properties"] == {
        "ProducerName": "Productor CAF-0001",
        "ProducerCountry": "PE",
        "ProductionPlace": "Nuevo Edén",
        "Area": 3.25,  # a point's area is the declared one
    }
    assert second["properties"]["Area"] == 1.2267  # a polygon's is the plot's computed area
    assert second["properties"]["ProductionPlace"] == "Alto Mayo"
    ring = second["geometry"]["coordinates"][0]
    assert ring[0] == [-77.412345, -5.701235] == ring[-1]
    for lon, lat in ring:  # [longitude, latitude]: Peru's longitudes are ~ -77, latitudes ~ -5.7
        assert -81.4 <= lon <= -68.6 and -18.4 <= lat <= 0.1


def test_positions_carry_at_most_six_decimals_in_the_bytes_sent():
    polygon = {
        "type": "Polygon",
        "coordinates": [
            [
                [-77.41234567, -5.70123456],
                [-77.41134567, -5.70123456],
                [-77.41134567, -5.70023456],
                [-77.41234567, -5.70023456],
                [-77.41234567, -5.70123456],
            ]
        ],
    }
    pkg = build_package(
        [eudr_plot(1, geometry=polygon), eudr_plot(2, geometry=point())], net_kg=NET
    )

    parsed = json.loads(part_bytes(pkg.parts[0]), parse_float=Decimal)

    numbers = []
    for feature in parsed["features"]:
        coords = feature["geometry"]["coordinates"]
        stack = [coords]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            else:
                numbers.append(item)
    assert len(numbers) == 2 + 10
    assert all(-n.as_tuple().exponent <= 6 for n in numbers)
    assert Decimal("-77.412346") in numbers and Decimal("-5.701235") in numbers


def test_every_feature_round_trips_through_the_plot_import_validator():
    plots = [
        eudr_plot(1, "CAF-0001", square(side=0.002), declared="4.9", area="4.9069"),
        eudr_plot(2, "CAF-0001", point(), declared="4"),
        eudr_plot(3, "CAF-0002", square(lon=-77.3000004, lat=-5.6000006), declared="1.2"),
        eudr_plot(
            4,
            "CAF-0003",
            {
                "type": "MultiPolygon",
                "coordinates": [square()["coordinates"], square(lon=-77.402)["coordinates"]],
            },
            declared="2.4",
        ),
    ]
    pkg = build_package(plots, net_kg=NET)

    produced = features(pkg)
    assert len(produced) == 4
    for feature in produced:
        # The feature alone, as text, through the same validator the plot import uses.
        text = json.dumps(feature, ensure_ascii=False)
        report = validate_plot_geometry(text, crop="coffee", declared_area_ha=None)
        assert report.errors == [], feature
        assert report.area_from_properties == Decimal(str(feature["properties"]["Area"]))


def test_invalid_plots_refuse_the_package_listing_exactly_those_plots():
    plots = [
        eudr_plot(1, "CAF-0001"),
        eudr_plot(12, "CAF-0012", point(), declared="5.5", plot_name="Parcela Alta"),
        eudr_plot(13, "CAF-0012", point(), declared="3"),
        eudr_plot(20, "CAF-0020", BOW_TIE, declared="1.5", plot_name="Mariposa"),
        eudr_plot(31, "CAF-0031", {}, plot_name="Sin mapa"),
        eudr_plot(32, "CAF-0031", declared="1.2"),
    ]
    plots[4].geometry = None

    with force_locale("en"), pytest.raises(EudrInvalid) as raised:
        build_package(plots, net_kg=NET)

    error = raised.value
    assert (error.code, error.status) == ("eudr_invalid", 422)
    assert isinstance(error, DomainError)
    assert "3 plots are not EUDR-valid" in error.message
    assert [(o[0], o[1], o[2]) for o in error.offending] == [
        (12, "Parcela Alta", "CAF-0012"),
        (20, "Mariposa", "CAF-0020"),
        (31, "Sin mapa", "CAF-0031"),
    ]
    lines = error.fields["plots"]
    assert (
        lines[0]
        == "CAF-0012 · Parcela Alta: A plot of 5.5 ha needs a polygon, not a point (max 4 ha)."
    )
    assert lines[1].startswith("CAF-0020 · Mariposa: Polygon 1, ring 1 crosses or overlaps itself")
    assert lines[2] == "CAF-0031 · Sin mapa: No geolocation yet: EUDR needs a point or polygon."


def test_a_point_with_no_area_is_refused_rather_than_given_one():
    plots = [eudr_plot(1, geometry=point(), declared=None)]
    with force_locale("en"), pytest.raises(EudrInvalid) as raised:
        build_package(plots, net_kg=NET)
    assert raised.value.offending[0][3] == [
        "No area: a plot located by a point needs its declared area in hectares."
    ]


def test_a_point_over_four_hectares_by_the_plots_area_is_refused():
    # The declared area is unknown but the caller's area says 6 ha: still a point > 4 ha.
    plots = [eudr_plot(1, geometry=point(), declared=None, area="6")]
    with pytest.raises(EudrInvalid) as raised:
        build_package(plots, net_kg=NET)
    assert [o[0] for o in raised.value.offending] == [1]


def test_vertices_that_collapse_when_rounded_are_refused_not_silently_dropped():
    # Two vertices 0.3e-6° apart are one vertex to the EU (6 decimals): the validator rejects
    # the ring, so the package names the plot for someone to fix instead of editing it.
    ring = [
        [-77.412345, -5.701234],
        [-77.4113451, -5.701234],
        [-77.4113453, -5.701234],
        [-77.411345, -5.700234],
        [-77.412345, -5.700234],
        [-77.412345, -5.701234],
    ]
    plots = [eudr_plot(1, geometry={"type": "Polygon", "coordinates": [ring]})]
    with force_locale("en"), pytest.raises(EudrInvalid) as raised:
        build_package(plots, net_kg=NET)
    assert "equals the previous one when rounded to 6 decimals" in raised.value.fields["plots"][0]


def test_order_is_by_producer_code_then_plot_and_the_bytes_are_deterministic():
    plots = [
        eudr_plot(plot_id, f"CAF-{code:04d}", square(lon=-77.41 + plot_id * 0.002))
        for plot_id, code in [(5, 2), (3, 1), (9, 1), (1, 3), (2, 2)]
    ]
    shuffled = plots[:]
    random.Random(7).shuffle(shuffled)

    first = build_package(plots, net_kg=NET)
    second = build_package(shuffled, net_kg=NET)

    assert part_bytes(first.parts[0]) == part_bytes(second.parts[0])
    names = [f["properties"]["ProducerName"] for f in features(first)]
    assert names == ["Productor CAF-0001"] * 2 + ["Productor CAF-0002"] * 2 + ["Productor CAF-0003"]
    lons = [f["geometry"]["coordinates"][0][0][0] for f in features(first)]
    assert lons == [round(-77.41 + n * 0.002, 6) for n in (3, 9, 2, 5, 1)]


def test_more_than_1000_producers_split_into_parts_of_whole_producers():
    plots = []
    for n in range(1001):
        code = f"CAF-{n:04d}"
        lon, lat = -77.9 + (n % 40) * 0.01, -5.9 + (n // 40) * 0.01
        plots.append(eudr_plot(2 * n, code, point(lon, lat), declared="1"))
        if n % 3 == 0:  # some producers have two plots, which must travel together
            plots.append(
                eudr_plot(2 * n + 1, code, square(lon=lon + 0.003, lat=lat), declared="1.2")
            )

    pkg = build_package(plots, net_kg=NET)

    assert pkg.split is True
    assert len(pkg.parts) == 2
    assert pkg.producer_count == 1001 and pkg.plot_count == len(plots)
    per_part = [
        {f["properties"]["ProducerName"] for f in sent(part)["features"]} for part in pkg.parts
    ]
    assert [len(names) for names in per_part] == [1000, 1]
    assert per_part[0].isdisjoint(per_part[1])  # no producer straddles parts
    assert [len(codes) for codes in pkg.part_producers] == [1000, 1]
    assert sum(len(part["features"]) for part in pkg.parts) == len(plots)

    summary = package_summary(pkg)
    assert summary["part_count"] == 2
    assert [p["producer_count"] for p in summary["parts"]] == [1000, 1]


def test_exactly_1000_producers_stay_in_one_part():
    plots = [
        eudr_plot(n, f"CAF-{n:04d}", point(-77.9 + (n % 40) * 0.01, -5.9 + (n // 40) * 0.01))
        for n in range(1000)
    ]
    pkg = build_package(plots, net_kg=NET)
    assert (len(pkg.parts), pkg.split) == (1, False)


def test_a_small_byte_limit_makes_several_parts_each_within_it():
    plots = [
        eudr_plot(
            n, f"CAF-{n // 2:04d}", square(lon=-77.5 + n * 0.002), producer_name=f"Ñusta {n // 2}"
        )
        for n in range(20)
    ]
    whole = build_package(plots, net_kg=NET)
    limit = 1500

    pkg = build_package(plots, net_kg=NET, max_bytes=limit)

    assert pkg.split is True and len(pkg.parts) > 2
    sizes = [len(part_bytes(part)) for part in pkg.parts]
    assert all(size <= limit for size in sizes)
    per_part = [
        [f["properties"]["ProducerName"] for f in sent(part)["features"]] for part in pkg.parts
    ]
    for i, names in enumerate(per_part):  # whole producers: each name lives in one part only
        others = {name for j, other in enumerate(per_part) if j != i for name in other}
        assert others.isdisjoint(names)
    # Splitting only cuts the one collection: same features, same order.
    assert [f for part in pkg.parts for f in part["features"]] == whole.parts[0]["features"]
    summary = package_summary(pkg)
    assert [p["bytes"] for p in summary["parts"]] == sizes


def test_a_producer_too_big_for_one_part_is_refused():
    plots = [eudr_plot(n, "CAF-0001", square(lon=-77.5 + n * 0.002)) for n in range(5)]
    with pytest.raises(EudrTooLarge):
        build_package(plots, net_kg=NET, max_bytes=600)


def test_no_plots_is_refused():
    with pytest.raises(DomainError):
        build_package([], net_kg=NET)


def test_hostile_producer_names_stay_plain_json_strings():
    hostile = [
        '<img src="file:///etc/passwd">',
        'Rosa"}],"type":"Point',
        "Línea\nnueva \\ & <b>Huamán</b>",
        '=HYPERLINK("http://x")',
    ]
    plots = [
        eudr_plot(n, f"CAF-{n:04d}", producer_name=name, community=name)
        for n, name in enumerate(hostile)
    ]

    pkg = build_package(plots, net_kg=NET)

    raw = part_bytes(pkg.parts[0])
    produced = sent(pkg.parts[0])["features"]
    assert [f["properties"]["ProducerName"] for f in produced] == hostile
    assert [f["properties"]["ProductionPlace"] for f in produced] == hostile
    assert set(produced[1]["properties"]) == PROPERTIES  # no injected members
    assert b"&lt;" not in raw and b"&quot;" not in raw  # JSON-escaped, not HTML-escaped
    assert "Huamán".encode() in raw  # UTF-8 as is (ensure_ascii=False)


def test_summary_says_why_the_package_was_split():
    plots = [eudr_plot(n, f"CAF-{n:04d}", point(-77.9 + n * 0.01, -5.7)) for n in range(3)]
    pkg = build_package(plots, net_kg=Decimal("1380.50"), max_producers=1)

    with force_locale("en"):
        summary = package_summary(pkg)

    assert summary["hs_code"] == "0901.11"
    assert summary["net_kg"] == "1380.50"
    assert (summary["producer_count"], summary["plot_count"], summary["part_count"]) == (3, 3, 3)
    assert summary["note"] == (
        "Split into 3 parts: the EU system accepts at most 1 producers and 25 MB per statement."
    )
    assert [p["bytes"] for p in summary["parts"]] == [len(part_bytes(p)) for p in pkg.parts]


def test_summary_of_a_single_file_with_the_eu_limits():
    pkg = build_package([eudr_plot(1)], net_kg=NET)
    with force_locale("en"):
        summary = package_summary(pkg)
    assert summary["split"] is False and summary["part_count"] == 1
    assert summary["note"].startswith("One file: 1 producer, ")
    big = build_package(
        [eudr_plot(n, f"CAF-{n:04d}", point(-77.9 + n * 0.001, -5.7)) for n in range(1001)],
        net_kg=NET,
    )
    with force_locale("en"):
        note = package_summary(big)["note"]
    assert note == (
        "Split into 2 parts: the EU system accepts at most 1,000 producers and 25 MB per statement."
    )
