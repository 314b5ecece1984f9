"""The API keeps its contract (docs/API.md): schemathesis generates requests for every operation
in /api/v1/openapi.json and checks each answer against the document, on each database.

The demo is loaded once per database and every test works in a savepoint inside it. Path
parameters are either generated (mostly unknown ids and codes: 404s, which the document allows
as 4XX) or drawn from the demo's own records, so the operations also run on real producers,
lots, shipments and certificates. Examples are bounded and derandomized: the same requests on
every run and every machine.
"""

import time
from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.serialization import serialize_binary
from sqlalchemy import select, text

from coopchain.auth.models import Organization, User
from coopchain.auth.services import create_api_token
from coopchain.demo import COFFEE_ORG, load_demo
from tests.helpers import joined_session, rolled_back, savepoint

#: Generated cases per operation: enough to reach each operation's answers on the demo's
#: records and on unknown ones, few enough that both databases run in well under a minute.
EXAMPLES_PER_OPERATION = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@schemathesis.serializer("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def _workbook(_context, value) -> bytes:
    """The producer import's body is a workbook's bytes, sent as generated (not a workbook:
    the import answers 4XX, never 5XX)."""
    return serialize_binary(value)


@pytest.fixture(scope="module")
def demo_connection(engine, app_factory):
    app = app_factory("context")
    with rolled_back(engine) as connection:
        session = joined_session(connection, app.extensions["coopchain.db"].settings)
        with app.app_context():
            assert load_demo(session, "demo")
            session.commit()  # releases the session's savepoint into the outer transaction
        session.close()
        yield connection


@pytest.fixture
def connection(demo_connection):
    with savepoint(demo_connection) as connection:
        yield connection


def _demo_records(db_session, org_id: int) -> dict[str, list[dict]]:
    """Path parameters naming real records of the organisation, by the names the API uses."""

    def rows(sql: str) -> list[dict]:
        found = db_session.connection().execute(text(sql), {"org": org_id}).mappings()
        return [dict(row) for row in found.fetchmany(8)]

    return {
        "producer_id": rows("SELECT id AS producer_id FROM producers WHERE organization_id = :org"),
        "agreement_id": rows(
            "SELECT id AS agreement_id FROM agreements WHERE organization_id = :org"
        ),
        "plot_id": rows("SELECT id AS plot_id FROM plots WHERE organization_id = :org"),
        "evidence_id": rows(
            "SELECT plot_id, id AS evidence_id FROM forest_evidence WHERE organization_id = :org"
        ),
        "delivery_id": rows(
            "SELECT id AS delivery_id FROM deliveries WHERE organization_id = :org"
        ),
        "transformation_id": rows(
            "SELECT id AS transformation_id FROM transformations WHERE organization_id = :org"
        ),
        "code": rows("SELECT code FROM lots WHERE organization_id = :org ORDER BY id DESC"),
        "serial": rows("SELECT serial FROM bags WHERE organization_id = :org"),
        "reference": rows("SELECT reference FROM shipments WHERE organization_id = :org"),
        "certificates": rows("SELECT number FROM certificates WHERE organization_id = :org"),
        "cupping-sessions": rows(
            "SELECT number FROM cupping_sessions WHERE organization_id = :org"
        ),
        "grading_id": rows(
            "SELECT l.code, 'green' AS kind, g.id AS grading_id FROM green_gradings g"
            " JOIN lots l ON l.id = g.lot_id WHERE g.organization_id = :org"
            " UNION ALL SELECT l.code, 'pitahaya', g.id FROM pitahaya_gradings g"
            " JOIN lots l ON l.id = g.lot_id WHERE g.organization_id = :org"
        ),
        "rule_id": rows("SELECT id AS rule_id FROM premium_rules WHERE organization_id = :org"),
        "debt_id": rows(
            "SELECT producer_id, id AS debt_id FROM producer_debts WHERE organization_id = :org"
        ),
        "payments": rows("SELECT number FROM payments WHERE organization_id = :org"),
        "job_id": rows("SELECT id AS job_id FROM jobs WHERE organization_id = :org"),
        "fmt": [{"fmt": "png"}, {"fmt": "svg"}],
    }


def _real_parameters(path: str, names: set[str], records: dict) -> list[dict]:
    """Combinations of real values for this path's parameters (empty: none known)."""
    if not names:
        return []
    if "number" in names:  # certificates and cupping sessions both use {number}
        key = "certificates" if path.startswith("/api/v1/certificates") else "cupping-sessions"
        key = "payments" if path.startswith("/api/v1/payments") else key
    else:
        # The most specific record: it carries its parents (an evidence names its plot).
        key = next(
            (
                k
                for k in ("grading_id", "evidence_id", *sorted(names))
                if k in names and k in records
            ),
            None,
        )
        if key is None:  # no real record of this kind in the demo: generated values only
            return []
    combos = [row for row in records[key] if names <= set(row) | {"fmt"}]
    if "fmt" in names:
        combos = [row | fmt for row in combos for fmt in records["fmt"]]
    return [{name: row[name] for name in names} for row in combos if names <= set(row)]


def _operation_test(operation, headers: dict, real: list[dict], tally: dict) -> Callable:
    generated = operation.as_strategy()
    strategy = (
        st.one_of(
            generated,
            st.sampled_from(real).flatmap(lambda p: operation.as_strategy(path_parameters=p)),
        )
        if real
        else generated
    )

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        tally["cases"] += 1
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run


def test_every_operation_answers_as_the_document_says(make_app, db_session, database_url):
    app = make_app("contract", PROPAGATE_EXCEPTIONS=False)
    org = db_session.scalars(select(Organization).where(Organization.code == COFFEE_ORG[0])).one()
    admin = db_session.scalars(select(User).where(User.email == "admin@demo.coop")).one()
    _token, plaintext = create_api_token(db_session, admin, org.id, "schemathesis")
    db_session.flush()
    headers = {"Authorization": f"Bearer {plaintext}"}
    records = _demo_records(db_session, org.id)

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tally = {"operations": 0, "cases": 0}
    failures: dict[str, str] = {}
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        real = _real_parameters(operation.path, names, records)
        tally["operations"] += 1
        try:
            _operation_test(operation, headers, real, tally)()
        # schemathesis reports its findings as a BaseExceptionGroup: collect every operation's.
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001
            failures[operation.label] = str(exc)[:2000]
    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis [{database_url.split(':', 1)[0]}]: {tally['operations']} operations, "
        f"{tally['cases']} cases, {len(failures)} failing operations, {elapsed:.1f} s"
    )
    assert tally["operations"] == sum(
        len(ops) for ops in app.test_client().get("/api/v1/openapi.json").json["paths"].values()
    )
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
