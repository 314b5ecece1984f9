"""The DDS files as staff download them, names and bytes: the statement(s) as JSON and each
statement's SubmitDdsRequest XML. The downloads and the job of a large shipment (dds_jobs.py)
both call these, so the job's files are the downloads' bytes."""

import json

from coopchain.eudr import xml as ddsxml
from coopchain.eudr.statement import DdsPlan
from coopchain.eudr.views_common import safe_name


def json_name(reference: str) -> str:
    return f"dds-{safe_name(reference)}.json"


def json_bytes(reference: str, plan: DdsPlan) -> bytes:
    body = {
        "reference": reference,
        "split": plan.split,
        "split_reasons": plan.split_reasons,
        "statements": plan.statements,
    }
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def xml_name(reference: str, number: int, count: int) -> str:
    """Part `number` of `count` ("-part2of3" only when the shipment is split)."""
    suffix = f"-part{number}of{count}" if count > 1 else ""
    return f"dds-{safe_name(reference)}{suffix}.xml"


def xml_bytes(plan: DdsPlan, number: int) -> bytes:
    return ddsxml.to_bytes(ddsxml.submit_request(plan.statements[number - 1]))
