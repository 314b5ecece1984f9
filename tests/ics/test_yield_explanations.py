"""A plot far over its plausible yield blocks organic claims until an inspector's explanation
is recorded; over the tolerance only, it is a warning (issue: mass balance an inspector signs
off)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.certs import compliance
from coopchain.certs.claims import claims_of
from coopchain.errors import DomainError
from coopchain.ics.explanations import record_explanation
from coopchain.ledger.models import LedgerEvent
from coopchain.lots.mass_balance import mass_balance
from tests import factories

CERTIFIED = {
    "organic_certificate_number": "CU-PE-2026-001",
    "organic_certificate_valid_until": date(2099, 12, 31),
    "declared_area_ha": Decimal("1"),
    "geometry": None,
    "expected_yield_kg_ha": Decimal("1000"),
}


def plot_delivering(db_session, org, net_kg: str):
    """A certified organic 1 ha plot expected to yield 1,000 kg parchment, delivering `net_kg`."""
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer, **CERTIFIED)
    factories.agreement(db_session, org, [producer])
    _d, lot = factories.delivery(
        db_session,
        org,
        producer,
        plot,
        gross_kg=Decimal(net_kg),
        tare_kg=Decimal("0"),
        delivered_on=date(2026, 5, 4),
    )
    return plot, lot


def severities(db_session, org, lot) -> dict:
    report = compliance.check_lot(db_session, org.id, lot.code)
    return {f.code: f.severity.value for f in report.findings if f.code.startswith("MB-")}


def explain(db_session, org, plot, **fields):
    data = {"season": "2026", "inspector": "Rosa Tello", "explanation": "Second field", **fields}
    return record_explanation(db_session, org.id, None, plot.id, data)


def test_over_the_tolerance_is_a_warning_and_organic_still_holds(db_session, org):
    _plot, lot = plot_delivering(db_session, org, "1500")  # 150 %
    assert severities(db_session, org, lot) == {"MB-OVER": "warning"}
    claims = claims_of(compliance.check_lot(db_session, org.id, lot.code))
    assert "MB-BLOCK" not in claims["organic"]["because"]


def test_far_over_blocks_organic_until_an_inspector_explains(db_session, org):
    plot, lot = plot_delivering(db_session, org, "4030")  # 403 %
    assert severities(db_session, org, lot) == {"MB-BLOCK": "blocking"}
    claims = claims_of(compliance.check_lot(db_session, org.id, lot.code))
    assert claims["organic"]["certified"] is False
    assert claims["organic"]["because"] == ["MB-BLOCK"]
    [row] = mass_balance(db_session, org.id, "2026").blocking
    assert row.plot_id == plot.id

    explain(db_session, org, plot)

    assert severities(db_session, org, lot) == {"MB-OVER": "warning"}
    assert (
        "MB-BLOCK"
        not in claims_of(compliance.check_lot(db_session, org.id, lot.code))["organic"]["because"]
    )
    event = db_session.scalars(
        select(LedgerEvent).where(LedgerEvent.kind == "plot.yield_explained")
    ).one()
    assert event.payload["data"]["ratio_pct"] == "403.00"


def test_the_threshold_is_the_organisations_setting(db_session, org):
    _plot, lot = plot_delivering(db_session, org, "1500")
    db_session.get(Organization, org.id).yield_block_pct = Decimal("40")
    db_session.flush()
    assert severities(db_session, org, lot) == {"MB-BLOCK": "blocking"}


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"inspector": ""}, "inspector"),
        ({"explanation": "  "}, "explanation"),
        ({"season": "20x6"}, "season"),
        ({"season": "2025"}, "season"),  # nothing delivered then: nothing to explain
        ({"explained_on": date(2099, 1, 1)}, "explained_on"),
    ],
)
def test_a_bad_explanation_names_the_field(db_session, org, fields, named):
    plot, _lot = plot_delivering(db_session, org, "4030")
    with pytest.raises(DomainError) as caught:
        explain(db_session, org, plot, **fields)
    assert named in caught.value.fields


def test_the_form_and_the_api_record_an_explanation(client, login, api, db_session, org):
    plot, lot = plot_delivering(db_session, org, "4030")
    login("auditor")
    page = client.get("/reports/mass-balance?season=2026").text
    assert "blocks organic claims" in page or "bloquea" in page
    report = client.get("/api/v1/reports/mass-balance?season=2026", headers=api("auditor"))
    [line] = [p for p in report.get_json()["plots"] if p["plot_id"] == plot.id]
    assert line["severity"] == "blocking" and line["far_over"] is True
    login("staff")
    form = client.get(f"/plots/{plot.id}/yield-explanations/new?season=2026")
    assert form.status_code == 200 and "403" in form.text
    bad = client.post(
        f"/plots/{plot.id}/yield-explanations/new",
        data={"season": "2026", "inspector": "Rosa", "explanation": ""},
    )
    assert bad.status_code == 422
    ok = client.post(
        f"/plots/{plot.id}/yield-explanations/new",
        data={"season": "2026", "inspector": "Rosa", "explanation": "A second field"},
    )
    assert ok.status_code == 302
    assert severities(db_session, org, lot) == {"MB-OVER": "warning"}
    response = client.post(
        f"/api/v1/plots/{plot.id}/yield-explanations",
        json={"season": "2026", "inspector": "Luis", "explanation": "Checked again"},
        headers=api("staff"),
    )
    assert response.status_code == 201 and response.get_json()["inspector"] == "Luis"
    missing = client.post(
        "/api/v1/plots/999999/yield-explanations",
        json={"season": "2026", "inspector": "Luis", "explanation": "x"},
        headers=api("staff"),
    )
    assert missing.status_code == 404
