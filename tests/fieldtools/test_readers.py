"""Reading field exports into rows and shapes (pure: no database)."""

from decimal import Decimal

import pytest

from coopchain.fieldtools.mapping import guess_mapping
from coopchain.fieldtools.plan import ProducerRef, RowChecker
from coopchain.fieldtools.readers import FieldFileError, read_source
from coopchain.fieldtools.shapes import OdkTextError, parse_odk
from tests.fieldtools import exports as ex

PRODUCERS = {
    "M-0001": ProducerRef(1, "M-0001", "Rosa Huamán"),
    "M-0002": ProducerRef(2, "M-0002", "Luis Tapia"),
}


def check(data, fmt="kobo", **overrides):
    table = read_source(data, fmt)
    mapping = guess_mapping(table)
    for name, value in overrides.items():
        setattr(mapping, name, value)
    checker = RowChecker(table, mapping, PRODUCERS, set(), max_accuracy_m=10.0)
    return [checker.check(row) for row in table.rows]


def where(row):
    return [(i.row, i.column, i.vertex, i.rule) for i in row.errors]


def test_odk_points_are_latitude_first_and_keep_their_accuracy():
    (point,) = parse_odk("-5.7012345 -77.4123456 1150.0 4.8")
    assert (point.lon, point.lat) == (Decimal("-77.4123456"), Decimal("-5.7012345"))
    assert point.alt == Decimal("1150.0") and point.accuracy == Decimal("4.8")


def test_odk_accepts_both_separators_and_drops_trailing_empty_points():
    points = parse_odk("-5.70 -77.41 0 3; -5.71 -77.41 0 3;-5.71 -77.42 0 3; -5.70 -77.41 0 3; ;")
    assert len(points) == 4 and points[-1].source_index == 4


def test_an_empty_point_in_the_middle_is_named():
    with pytest.raises(OdkTextError) as caught:
        parse_odk("-5.70 -77.41; ; -5.71 -77.42")
    assert caught.value.rule == "odk.empty_point" and caught.value.params["vertex"] == 2


def test_kobo_xlsx_with_a_12_point_geoshape_becomes_a_valid_polygon():
    points = ex.ring()
    assert len(points) == 12
    data = ex.kobo_xlsx([ex.kobo_row(1, ex.odk(points))])
    (row,) = check(data)
    assert row.status == "new", row.issues
    assert row.crop == "coffee" and row.producer.member_code == "M-0001"
    ring = row.exact_geometry["coordinates"][0]
    assert len(ring) == 12 and ring[0] == ring[-1]
    # [longitude, latitude] as GeoJSON wants it, with every digit the phone gave.
    assert ring[0] == [Decimal(f"{points[0][1]:.7f}"), Decimal(f"{points[0][0]:.7f}")]
    assert row.accuracies[:3] == [4.5, 5.0, 5.5]


def test_guessed_mapping_finds_the_kobo_columns():
    table = read_source(ex.kobo_xlsx([ex.kobo_row(1, ex.odk(ex.ring()))]), "kobo")
    mapping = guess_mapping(table)
    assert mapping.producer_column == "datos/codigo_socio"
    assert mapping.name_column == "datos/nombre_parcela"
    assert mapping.crop_column == "datos/cultivo"
    assert (mapping.geometry_column, mapping.geometry_type) == ("datos/linderos", "geoshape")


def test_semicolon_space_separators_and_trailing_empty_point_in_csv():
    text = ex.odk(ex.ring(), separator="; ") + "; "
    (row,) = check(ex.kobo_csv([ex.kobo_row(1, text)]))
    assert row.status == "new", row.issues
    assert len(row.exact_geometry["coordinates"][0]) == 12


def test_consecutive_duplicates_are_dropped_and_an_open_shape_is_closed():
    points = ex.ring()[:-1]  # not closed
    points.insert(3, points[2])  # a double tap
    (row,) = check(ex.kobo_csv([ex.kobo_row(1, ex.odk(points))]), geometry_type="geoshape")
    assert row.status == "new", row.issues
    assert len(row.exact_geometry["coordinates"][0]) == 12


def test_a_swapped_looking_point_names_row_column_and_vertex():
    rows = [ex.kobo_row(1, ex.odk(ex.ring())), ex.kobo_row(2, "-77.412345 -5.701234 0 3")]
    _, bad = check(ex.kobo_xlsx(rows), geometry_type="geoshape")
    assert where(bad) == [(3, "datos/linderos", 1, "coordinate.swapped")]
    assert "looks like [latitude, longitude]" in bad.errors[0].message


def test_a_self_crossing_shape_names_the_vertex_where_it_crosses():
    lat, lon = -5.701234, -77.412345
    bow = [(lat, lon), (lat, lon + 0.001), (lat + 0.001, lon), (lat + 0.001, lon + 0.001)]
    text = ex.odk([(a, o, 0, 3) for a, o in [*bow, bow[0]]])
    (row,) = check(ex.kobo_xlsx([ex.kobo_row(1, text)]))
    assert where(row) == [(2, "datos/linderos", 2, "ring.self_intersection")]
    assert "edge 2 meets edge 4" in row.errors[0].message


def test_unreadable_point_names_its_vertex():
    text = ex.odk(ex.ring()).replace(";", "; -5.7 abc;", 1)
    (row,) = check(ex.kobo_xlsx([ex.kobo_row(1, text)]))
    assert where(row) == [(2, "datos/linderos", 2, "odk.not_numbers")]


def test_poor_accuracy_is_flagged_not_refused():
    (row,) = check(ex.kobo_xlsx([ex.kobo_row(1, ex.odk(ex.ring(accuracy=12)))]))
    assert row.status == "new"
    flagged = [i for i in row.issues if i.rule == "accuracy.poor"]
    assert len(flagged) == 12 and flagged[0].vertex == 1 and "±12 m" in flagged[0].message


def test_a_coffee_point_declared_over_4_ha_is_refused_and_pitahaya_only_warned():
    headers = [*ex.KOBO_HEADERS, "datos/area_ha"]
    rows = [
        [*ex.kobo_row(1, "-5.701234 -77.412345 1100 4"), "5.5"],
        [*ex.kobo_row(2, "-5.711234 -77.412345 1100 4", crop="pitahaya"), "5.5"],
    ]
    coffee, pitahaya = check(ex.kobo_xlsx(rows, headers), area_column="datos/area_ha")
    assert where(coffee) == [(2, "datos/linderos", None, "point.area_over_4ha")]
    assert pitahaya.status == "new"


def test_unknown_producer_and_crop_are_named_by_column():
    (row,) = check(ex.kobo_xlsx([ex.kobo_row(1, ex.odk(ex.ring()), member="M-9", crop="cacao")]))
    assert [(i.column, i.rule) for i in row.errors] == [
        ("datos/codigo_socio", "row.producer_code"),
        ("datos/cultivo", "row.crop"),
    ]


def test_kml_polygon_with_an_inner_ring_is_refused_with_the_reason():
    outer, inner = ex.ring(radius=0.001), ex.ring(radius=0.0003)
    data = ex.kml(ex.placemark("La Esperanza", "M-0001", outer, inner))
    (row,) = check(data, "kml", producer_column="socio", name_column="name")
    assert where(row) == [(1, "geometry", None, "shape.holes")]
    assert "holes" in row.errors[0].message


def test_kmz_polygon_reads_like_its_kml():
    data = ex.kmz(ex.kml(ex.placemark("La Esperanza", "M-0002", ex.ring())))
    (row,) = check(data, "kml", producer_column="socio", name_column="name")
    assert row.status == "new", row.issues
    assert row.producer.member_code == "M-0002"


def test_kml_bad_coordinate_names_the_vertex():
    data = ex.kml(ex.placemark("X", "M-0001", ex.ring()).replace(",-5.7", ",abc", 1))
    (row,) = check(data, "kml", producer_column="socio", name_column="name")
    assert [(i.vertex, i.rule) for i in row.errors] == [(1, "xml.not_numbers")]


def test_kml_with_entities_is_refused_before_parsing():
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<kml><Placemark><name>&x;</name></Placemark></kml>"
    )
    with pytest.raises(FieldFileError, match="DOCTYPE"):
        read_source(evil, "kml")


def test_gpx_track_that_closes_needs_confirmation_to_become_a_polygon():
    walk = ex.ring(n=30, radius=0.0008)
    data = ex.gpx(walk, waypoints=[("Casa", "-5.7031", "-77.4102")])
    track, wpt = check(data, "gpx", name_column="name", producer_column="name")
    assert [(i.row, i.rule) for i in track.errors] == [
        (1, "row.producer_code"),
        (1, "shape.closed_trace"),
    ]
    assert wpt.exact_geometry == {
        "type": "Point",
        "coordinates": [Decimal("-77.4102"), Decimal("-5.7031")],
    }
    track, wpt = check(
        data, "gpx", name_column="name", producer_column="desc", lines_as_polygons=True
    )
    assert track.exact_geometry["type"] == "Polygon"
    assert [i.rule for i in track.errors] == ["row.producer_empty"]


def test_gpx_open_track_is_a_line_and_refused():
    data = ex.gpx(ex.ring(n=30, radius=0.0008)[:15])
    (track,) = check(data, "gpx", name_column="name", lines_as_polygons=True)
    assert "shape.line" in [i.rule for i in track.errors]


def test_geojson_export_keeps_properties_and_geometry():
    import json

    feature = {
        "type": "Feature",
        "properties": {"_uuid": "u-1", "codigo_socio": "M-0001", "nombre_parcela": "Alto"},
        "geometry": {"type": "Point", "coordinates": [-77.4123456, -5.7012345, 1100]},
    }
    data = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    (row,) = check(data, "geojson")
    assert row.status == "new", row.issues
    assert row.submission_id == "u-1"


@pytest.mark.parametrize(
    ("data", "fmt", "text"),
    [
        (b"", "kobo", "empty"),
        (b"not,a\n", "kobo", "no rows"),
        (b"<gpx", "gpx", "not valid XML"),
        (b"PK\x03\x04broken", "kml", "zip"),
        (b"{]", "geojson", "GeoJSON"),
    ],
)
def test_unusable_files_say_why(data, fmt, text):
    with pytest.raises(FieldFileError, match=text):
        read_source(data, fmt)


@pytest.mark.parametrize(
    ("data", "fmt", "rule"),
    [
        (
            b'{"type":"Feature","properties":{},"geometry":{"type":"Point",'
            b'"coordinates":[NaN, 1]}}',
            "geojson",
            "odk.off_globe",
        ),
        (
            b'{"type":"Feature","properties":{},"geometry":{"type":"Point",'
            b'"coordinates":[1e999999, -5.7]}}',
            "geojson",
            "odk.off_globe",
        ),
        (
            b'{"type":"Feature","properties":{},"geometry":{"type":"Point",'
            b'"coordinates":[{"a":1}, -5.7]}}',
            "geojson",
            "odk.not_numbers",
        ),
        (b'<gpx><wpt lat="95" lon="-77.4"/></gpx>', "gpx", "odk.off_globe"),
        (b'<gpx><wpt lat="x" lon="-77.4"/></gpx>', "gpx", "xml.not_numbers"),
        (
            b"<kml><Placemark><Point><coordinates>-77.4,-5.7,1 -77.5,-5.8</coordinates></Point>"
            b"<LineString><coordinates>1,1 2,2</coordinates></LineString></Placemark></kml>",
            "kml",
            "shape.multiple",
        ),
    ],
)
def test_hostile_coordinates_become_row_errors_not_crashes(data, fmt, rule):
    (row,) = check(data, fmt, producer_column="name", name_column="name")
    assert rule in [i.rule for i in row.errors]


def test_kobo_geotrace_closing_on_itself_is_a_polygon_only_when_confirmed():
    data = ex.kobo_xlsx([ex.kobo_row(1, ex.odk(ex.ring()))])
    (refused,) = check(data, geometry_type="geotrace")
    assert where(refused) == [(2, "datos/linderos", None, "shape.closed_trace")]
    (confirmed,) = check(data, geometry_type="geotrace", lines_as_polygons=True)
    assert confirmed.status == "new" and confirmed.exact_geometry["type"] == "Polygon"
    open_line = ex.kobo_xlsx([ex.kobo_row(1, ex.odk(ex.ring()[:6]))])
    (line,) = check(open_line, geometry_type="geotrace", lines_as_polygons=True)
    assert [i.rule for i in line.errors] == ["shape.line"]


def test_odk_central_csv_with_a_split_geopoint_and_meta_instance_id():
    headers = ["SubmissionDate", "socio", "parcela", "punto-Latitude", "punto-Longitude"]
    headers += ["punto-Altitude", "punto-Accuracy", "meta-instanceID", "KEY"]
    row = ["2026-11-10", "M-0001", "Alto", "-5.7012345", "-77.4123456", "1150", "3.9"]
    row += ["uuid:7d1c0000-0000-4000-8000-000000000001"] * 2
    (checked,) = check(ex.kobo_csv([row], headers, delimiter=","), "odk", crop="coffee")
    assert checked.status == "new", checked.issues
    assert checked.submission_id == "7d1c0000-0000-4000-8000-000000000001"
    assert checked.exact_geometry["coordinates"] == [Decimal("-77.4123456"), Decimal("-5.7012345")]
    assert checked.accuracies == [3.9]
