"""/api/v1/openapi.json is a valid OpenAPI 3 document and says what the API does (docs/API.md):
exact decimals are strings with a pattern, an update answers 200, a transformation's body is
told apart by its kind."""

import re
from decimal import Decimal

import pytest
from marshmallow import Schema, ValidationError
from openapi_spec_validator import validate

from coopchain.schemas import DECIMAL_PATTERN, DecimalIn, DecimalOut


@pytest.fixture(scope="module")
def spec(app_without_database):
    return app_without_database.test_client().get("/api/v1/openapi.json").json


def _properties(spec, name: str) -> dict:
    return spec["components"]["schemas"][name]["properties"]


def test_the_document_is_valid_openapi(spec):
    validate(spec)  # raises with the first problem and where it is


def test_decimals_are_documented_as_strings_with_a_pattern(spec):
    gross = _properties(spec, "DeliveryIn")["gross_kg"]
    assert gross["type"] == "string" and gross["pattern"] == DECIMAL_PATTERN
    # The range survives, as strings in extension keys (JSON Schema's minimum is for numbers).
    assert gross["x-maximum"] == "10000000.000"
    for name in ("gross_kg", "net_kg", "tare_kg"):
        out = _properties(spec, "DeliveryOut")[name]
        assert out["type"] == "string"
        assert re.fullmatch(out["pattern"].strip("^$"), "1250.500")
        assert not re.fullmatch(out["pattern"].strip("^$"), "1250.5")  # always three decimals
    assert _properties(spec, "PlotOut")["declared_area_ha"]["type"] == "string"


def test_no_number_schema_carries_a_string_bound(spec):
    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("number", "integer"):
                for key in ("minimum", "maximum", "default"):
                    assert not isinstance(node.get(key), str), node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)


def test_an_update_answers_200_and_a_creation_201(spec):
    assert set(spec["paths"]["/api/v1/producers/{producer_id}"]["put"]["responses"]) == {
        "200",
        "4XX",
    }
    assert "201" in spec["paths"]["/api/v1/producers"]["post"]["responses"]
    # Changing a record's status changes what exists: 200, as a void does.
    status = spec["paths"]["/api/v1/agreements/{agreement_id}/status"]["post"]["responses"]
    assert set(status) == {"200", "4XX"}
    for path, operations in spec["paths"].items():
        if "put" in operations:
            assert "201" not in operations["put"]["responses"], path


def test_the_eudr_package_is_described_as_the_geojson_object_it_is(spec):
    ok = spec["paths"]["/api/v1/shipments/{reference}/eudr.geojson"]["get"]["responses"]["200"]
    schema = ok["content"]["application/geo+json"]["schema"]
    assert schema["type"] == "object"
    assert schema["properties"]["type"]["enum"] == ["FeatureCollection"]


def test_each_transformation_body_names_its_kind(spec):
    body = spec["paths"]["/api/v1/transformations"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["discriminator"]["propertyName"] == "kind"
    for kind, ref in schema["discriminator"]["mapping"].items():
        target = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert target["properties"]["kind"]["enum"] == [kind]
        assert "kind" in target["required"]


def test_a_decimal_loads_from_its_string_or_a_json_number_and_answers_a_string():
    class Weighing(Schema):
        kg = DecimalIn(places=3)
        out = DecimalOut(places=3)

    assert Weighing().load({"kg": "1250.5"})["kg"] == Decimal("1250.500")
    # A JSON number is read by its shortest decimal form, not its binary one.
    assert Weighing().load({"kg": 0.1})["kg"] == Decimal("0.100")
    for wrong in ("1e3", "1,5", "NaN", ".5", "12 kg", True):
        with pytest.raises(ValidationError):
            Weighing().load({"kg": wrong})
    assert Weighing().dump({"out": Decimal("12.5")}) == {"out": "12.500"}
