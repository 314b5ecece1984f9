"""GS1's EPCIS 2.0 JSON Schema (vendored in tests/ledger/data, see its README) as a validator
that also checks the formats it names (uri, date-time), and the quantity balance of an export's
TransformationEvents."""

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from jsonschema import Draft7Validator

DATA = Path(__file__).resolve().parent.parent / "ledger" / "data"


@cache
def validator() -> Draft7Validator:
    schema = json.loads((DATA / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    # Without a format checker "uri" and "date-time" are annotations only; with it (and
    # rfc3986-validator installed) a bad URI or time is an error, as GS1 means it to be.
    checker = Draft7Validator.FORMAT_CHECKER
    assert {"uri", "date-time"} <= set(checker.checkers), "install rfc3986-validator"
    return Draft7Validator(schema, format_checker=checker)


def errors_of(document) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator().iter_errors(document)
    ]


def assert_valid(document) -> None:
    errors = errors_of(document)
    assert not errors, errors[:5]


def load(data: bytes):
    """JSON with every number read as an exact Decimal, as a receiver checking grams would."""
    return json.loads(data, parse_float=Decimal, parse_int=Decimal)


def unbalanced(document) -> list[str]:
    """TransformationEvents whose inputs ≠ outputs + cc:loss (in KGM), named by ledger seq."""
    wrong = []
    for event in document["epcisBody"]["eventList"]:
        if event["type"] != "TransformationEvent":
            continue
        total_in = sum(Decimal(str(q["quantity"])) for q in event["inputQuantityList"])
        total_out = sum(Decimal(str(q["quantity"])) for q in event.get("outputQuantityList", []))
        loss = Decimal(str(event["cc:loss"]["quantity"]))
        units = {q["uom"] for q in event["inputQuantityList"] + event.get("outputQuantityList", [])}
        if total_in != total_out + loss or units != {"KGM"}:
            wrong.append(f"seq {event['cc:ledgerSeq']}: {total_in} != {total_out} + {loss}")
    return wrong
