"""EUDR GeoJSON plot checks (DOMAIN.md §2)."""

import json
import re
from decimal import Decimal

from coopchain.farms.geometry import (
    GeometryIssue,
    geometry_centroid,
    point_geometry,
    svg_outline,
)
from coopchain.farms.geometry_validation import validate_plot_geometry

# A 0.001° x 0.001° square in Alto Mayo, about 110.6 m x 110.8 m.
SQUARE = [
    [-77.400000, -5.700000],
    [-77.399000, -5.700000],
    [-77.399000, -5.701000],
    [-77.400000, -5.701000],
    [-77.400000, -5.700000],
]


def polygon(*rings) -> dict:
    return {"type": "Polygon", "coordinates": [list(ring) for ring in rings]}


def as_text(obj) -> str:
    """JSON text with every float written with 6 decimals, as a GPS export would."""
    text = json.dumps(obj)
    return re.sub(r"-?\d+\.\d+", lambda m: f"{float(m.group()):.6f}", text)


def check(geojson, crop="coffee", declared_area_ha=None):
    return validate_plot_geometry(geojson, crop=crop, declared_area_ha=declared_area_ha)


def rules(issues: list[GeometryIssue]) -> list[str]:
    return [issue.rule for issue in issues]


def only(issues: list[GeometryIssue], rule: str) -> GeometryIssue:
    found = [issue for issue in issues if issue.rule == rule]
    assert len(found) == 1, rules(issues)
    return found[0]


def test_valid_small_polygon_has_geodesic_area():
    report = check(as_text(polygon(SQUARE)), declared_area_ha=Decimal("1.2"))
    assert report.ok, rules(report.errors)
    assert report.warnings == []
    # By hand: at 5.7005° S one degree of latitude is 110 585 m and of longitude 110 772 m
    # (series for the WGS84 ellipsoid), so 110.585 m x 110.772 m = 1.2250 ha.
    assert abs(report.computed_area_ha - Decimal("1.2250")) < Decimal("1.2250") * Decimal("0.01")
    assert report.computed_area_ha == report.computed_area_ha.quantize(Decimal("0.0001"))
    assert report.geometry == polygon(SQUARE)  # unchanged, floats, JSON-safe
    json.dumps(report.geometry)


def test_bow_tie_names_the_crossing_edges():
    bow_tie = [[-77.4, -5.7], [-77.399, -5.701], [-77.399, -5.7], [-77.4, -5.701], [-77.4, -5.7]]
    report = check(as_text(polygon(bow_tie)))
    issue = only(report.errors, "ring.self_intersection")
    assert issue.params == {"polygon": 0, "ring": 0, "edge_a": 0, "edge_b": 2}
    assert "edge 1 meets edge 3" in issue.message  # people count from 1
    assert report.computed_area_ha is None


def test_ring_folding_back_on_itself_is_self_overlap():
    spike = [
        [-77.4, -5.7],
        [-77.399, -5.7],
        [-77.399, -5.701],
        [-77.399, -5.7005],
        [-77.4, -5.701],
        [-77.4, -5.7],
    ]
    issue = only(check(as_text(polygon(spike))).errors, "ring.self_intersection")
    assert (issue.params["edge_a"], issue.params["edge_b"]) == (1, 2)


def test_unclosed_ring():
    report = check(as_text(polygon(SQUARE[:-1])))
    assert only(report.errors, "ring.unclosed").params == {"polygon": 0, "ring": 0}


def test_polygon_with_hole_is_rejected_and_every_ring_checked():
    hole = [[-77.3998, -5.7002], [-77.3992, -5.7002], [-77.3992, -5.7008], [-77.3998, -5.7002]]
    bad_hole = hole[:-1]
    report = check(as_text(polygon(SQUARE, hole, bad_hole)))
    assert only(report.errors, "polygon.holes").params == {"polygon": 0, "holes": 2}
    assert only(report.errors, "ring.unclosed").params == {"polygon": 0, "ring": 2}


def test_swapped_coordinates():
    report = check('{"type": "Point", "coordinates": [-5.700000, -77.400000]}')
    issue = only(report.errors, "coordinate.swapped")
    assert issue.params["vertex"] == 0
    assert "coordinate.outside_peru" not in rules(report.warnings)


def test_swapped_ring_is_reported_once_with_first_vertex():
    swapped = [[lat, lon] for lon, lat in SQUARE]
    issue = only(check(as_text(polygon(swapped))).errors, "coordinate.swapped")
    assert issue.params == {
        "vertex": 0,
        "count": 5,
        "polygon": 0,
        "ring": 0,
        "lon": -5.7,
        "lat": -77.4,
    }


def test_outside_peru_is_one_warning():
    in_bolivia = [[lon + 10, lat] for lon, lat in SQUARE]
    report = check(as_text(polygon(in_bolivia)))
    assert report.ok
    assert rules(report.warnings) == ["coordinate.outside_peru"]


def test_out_of_range_coordinate():
    report = check('{"type": "Point", "coordinates": [-200.000000, -5.700000]}')
    assert only(report.errors, "coordinate.out_of_range").params["vertex"] == 0


def test_position_that_is_not_numbers():
    report = check({"type": "MultiPoint", "coordinates": [[-77.4, -5.7], ["-77.4", -5.7]]})
    assert only(report.errors, "coordinate.not_number").params["vertex"] == 1


def test_linestring_is_rejected():
    report = check('{"type": "LineString", "coordinates": [[-77.4, -5.7], [-77.3, -5.6]]}')
    assert only(report.errors, "geometry.type").params == {"type": "LineString"}
    assert "LineString" in report.errors[0].message


def test_area_property_as_string_is_an_error():
    feature = {
        "type": "Feature",
        "properties": {"ProducerName": "Rosa", "Area": "3"},
        "geometry": point_geometry(Decimal("-77.412345"), Decimal("-5.712345")),
    }
    report = check(feature)
    assert only(report.errors, "area.not_number").params == {"value": '"3"'}
    assert report.area_from_properties is None


def test_area_property_number_is_read():
    feature = {"type": "Feature", "properties": {"Area": 1.5}, "geometry": polygon(SQUARE)}
    assert check(feature).area_from_properties == Decimal("1.5")


def test_too_few_positions():
    triangle_open = [[-77.4, -5.7], [-77.399, -5.7], [-77.4, -5.7]]
    report = check(as_text(polygon(triangle_open)))
    issue = only(report.errors, "ring.too_few_positions")
    assert issue.params == {"polygon": 0, "ring": 0, "count": 3}


def test_straight_line_polygon_has_zero_area():
    line = [[-77.4, -5.7], [-77.399, -5.701], [-77.398, -5.702], [-77.4, -5.7]]
    report = check(as_text(polygon(line)))
    assert only(report.errors, "polygon.zero_area").params == {"polygon": 0, "ring": 0}
    assert "ring.self_intersection" not in rules(report.errors)


def test_vertices_equal_after_rounding_are_duplicates():
    ring = [*SQUARE[:2], [-77.3990004, -5.7000003], *SQUARE[2:]]  # differs at the 7th decimal
    text = json.dumps(polygon(ring))
    report = check(text)
    issue = only(report.errors, "vertex.duplicate_after_rounding")
    assert issue.params == {"polygon": 0, "ring": 0, "vertex": 2}
    assert "ring.self_intersection" not in rules(report.errors)


def test_point_over_4_ha_is_an_error_for_coffee():
    point = point_geometry(-77.412345, -5.712345)
    report = check(point, crop="coffee", declared_area_ha=Decimal("5"))
    assert only(report.errors, "point.area_over_4ha").params == {"area_ha": "5"}
    assert report.computed_area_ha is None


def test_point_over_4_ha_is_only_a_warning_for_pitahaya():
    point = point_geometry(-77.412345, -5.712345)
    report = check(point, crop="pitahaya", declared_area_ha=Decimal("5"))
    assert report.ok
    assert rules(report.warnings) == ["point.area_over_4ha"]


def test_point_with_area_property_over_4():
    feature = {
        "type": "Feature",
        "properties": {"Area": 4.5},
        "geometry": point_geometry(-77.412345, -5.712345),
    }
    assert rules(check(feature).errors) == ["point.area_over_4ha"]


def test_declared_area_far_from_computed_warns():
    report = check(as_text(polygon(SQUARE)), declared_area_ha=Decimal("2"))
    assert report.ok
    issue = only(report.warnings, "area.mismatch")
    assert issue.params == {"declared_ha": "2", "computed_ha": str(report.computed_area_ha)}


def test_low_precision_warns_once():
    text = '{"type": "Point", "coordinates": [-77.4123, -5.7123]}'
    report = check(text)
    assert report.ok
    assert only(report.warnings, "precision.low").params == {"decimals": 4}


def test_a_float_that_lost_its_trailing_zero_is_not_low_precision():
    # -77.450120 arrives through a JSON API as the float -77.45012 (5 digits).
    ring = [
        [-77.45012, -5.701234],
        [-77.449123, -5.701234],
        [-77.449123, -5.700234],
        [-77.45012, -5.700234],
        [-77.45012, -5.701234],
    ]
    report = validate_plot_geometry(polygon(ring), crop="coffee", declared_area_ha=None)
    assert report.ok and not [w for w in report.warnings if w.rule == "precision.low"]


def test_six_decimals_with_trailing_zeros_as_written_are_enough():
    assert check('{"type": "Point", "coordinates": [-77.400000, -5.700000]}').warnings == []


def test_feature_is_unwrapped():
    feature = {"type": "Feature", "properties": {}, "geometry": polygon(SQUARE)}
    report = check(as_text(feature))
    assert report.ok
    assert report.geometry == polygon(SQUARE)


def test_single_feature_collection_is_unwrapped():
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"Area": 1.2}, "geometry": polygon(SQUARE)}],
    }
    report = check(as_text(collection))
    assert report.ok
    assert report.geometry == polygon(SQUARE)
    assert report.area_from_properties == Decimal("1.200000")


def test_feature_collection_with_two_features_is_rejected():
    feature = {"type": "Feature", "properties": {}, "geometry": polygon(SQUARE)}
    report = check({"type": "FeatureCollection", "features": [feature, feature]})
    assert only(report.errors, "geometry.feature_count").params == {"count": 2}


def test_multipolygon_overlap():
    shifted = [[lon + 0.0005, lat] for lon, lat in SQUARE]
    far = [[lon + 0.01, lat] for lon, lat in SQUARE]
    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE], [far], [shifted]]}
    report = check(as_text(multi))
    issue = only(report.errors, "multipolygon.overlap")
    assert issue.params == {"polygon_a": 0, "polygon_b": 2}


def test_touching_multipolygon_parts_are_fine():
    neighbour = [[lon + 0.001, lat] for lon, lat in SQUARE]
    report = check(as_text({"type": "MultiPolygon", "coordinates": [[SQUARE], [neighbour]]}))
    assert report.ok, rules(report.errors)
    assert abs(report.computed_area_ha - Decimal("2.45")) < Decimal("0.01")


def test_empty_geometry():
    assert rules(check({"type": "Polygon", "coordinates": []}).errors) == ["geometry.empty"]
    assert rules(check({"type": "Feature", "geometry": None}).errors) == ["geometry.empty"]


def test_invalid_json_reports_line_and_column():
    report = check('{"type": "Point",\n "coordinates": [-77.4, -5.7],,}')
    issue = only(report.errors, "json.invalid")
    assert (issue.params["line"], issue.params["col"]) == (2, 31)
    assert report.geometry is None


def test_issue_to_dict_is_json_safe():
    report = check('{"type": "Point", "coordinates": [-5.7, -77.4]}', declared_area_ha=9)
    payload = json.dumps([issue.to_dict() for issue in report.errors + report.warnings])
    assert '"rule": "coordinate.swapped"' in payload
    assert set(report.errors[0].to_dict()) == {"rule", "message", "params"}


def test_svg_outline_draws_only_numbers():
    svg = svg_outline(polygon(SQUARE))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    paths = re.findall(r'<path d="([^"]*)"', svg)
    assert len(paths) == 1
    assert re.fullmatch(r"M[0-9. L-]+ Z", paths[0])
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # North is up: the first vertex (the northern edge) is drawn near the top.
    first_y = float(paths[0][1:].split()[1])
    assert first_y < 48


def test_svg_outline_for_point_and_none():
    assert "<circle" in svg_outline(point_geometry(-77.4, -5.7))
    assert svg_outline(None) == ""


def test_centroid():
    lon, lat = geometry_centroid(polygon(SQUARE))
    assert abs(lon - -77.3995) < 1e-9 and abs(lat - -5.7005) < 1e-9
    assert geometry_centroid(None) is None


def test_absurd_input_is_refused_not_crashed():
    deep = '{"type": "Polygon", "coordinates": ' + "[" * 5000 + "]" * 5000 + "}"
    huge = '{"type": "Point", "coordinates": [1' + "0" * 400 + ", -5.701234]}"
    for text in (deep, huge):
        report = validate_plot_geometry(text, crop="coffee", declared_area_ha=None)
        assert not report.ok
