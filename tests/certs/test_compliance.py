"""The compliance engine, rule by rule: a clean lot has no findings, and breaking one fact
brings exactly the rule that guards it (so removing a rule from RULES fails its test)."""

from datetime import date
from decimal import Decimal

import pytest

from coopchain.certs import compliance
from coopchain.certs.compliance_report import Severity
from coopchain.forest.evidence import record_evidence
from coopchain.lots import bags, transformations
from coopchain.quality import cupping_sessions as sessions
from coopchain.quality import rules as cup_rules
from coopchain.shipments import services as shipments
from tests import factories

ON = date(2026, 6, 1)
CERTIFIED = {
    "organic_certificate_number": "CU-PE-2026-001",
    "organic_certificate_valid_until": date(2099, 12, 31),
}


def forest(db_session, org, plot, result="deforestation_free", **fields):
    return record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {
            "kind": "manual",
            "result": result,
            "source": "GFW map review",
            "observed_on": ON,
            **fields,
        },
    )


def cup(db_session, org, lot):
    cs = sessions.open_session(
        db_session,
        org.id,
        None,
        {"held_on": ON, "protocol": "sca_2004", "guest_cuppers": ["Ana"], "lot_codes": [lot.code]},
    )
    [(sample, _lot)] = sessions.samples_of(db_session, cs)
    scores = {n: "8.00" for n in cup_rules.SCA_ATTRIBUTES} | dict.fromkeys(
        cup_rules.SCA_CUP_ATTRIBUTES, 10
    )
    cupper = sessions.cuppers_of(db_session, cs)[0]
    sessions.save_sheet(
        db_session,
        org.id,
        None,
        cs,
        {"sample_id": sample.id, "cupper_id": cupper.id, "scores": scores},
    )
    sessions.close_session(db_session, org.id, None, cs)


def origin(
    db_session,
    org,
    *,
    agreement=True,
    evidence="deforestation_free",
    cupped=True,
    product_form="green",
    plot_fields=None,
    **delivery_fields,
):
    """A delivery's lot from a producer and plot set up as asked (clean by default)."""
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer, **(CERTIFIED | (plot_fields or {})))
    if agreement:
        factories.agreement(db_session, org, [producer])
    if evidence:
        forest(db_session, org, plot, evidence)
    _d, lot = factories.delivery(
        db_session,
        org,
        producer,
        plot,
        product_form=product_form,
        delivered_on=ON,
        **delivery_fields,
    )
    if cupped and product_form == "green":
        cup(db_session, org, lot)
    return lot, plot


def codes(report) -> set[str]:
    return {finding.code for finding in report.findings}


def test_a_clean_lot_has_no_findings(db_session, org):
    lot, _plot = origin(db_session, org)
    report = compliance.check_lot(db_session, org.id, lot.code)
    assert report.findings == []
    # Every rule the issue names was run (a dropped rule would pass a clean lot silently).
    assert set(report.rules_checked) >= {
        "agreement_active",
        "organic_claim",
        "organic_certificate",
        "eudr_geolocation",
        "forest_evidence",
        "mass_balance",
        "cupping_score",
        "shipment_documents",
    }


def test_a_producer_without_an_active_agreement_blocks(db_session, org):
    lot, plot = origin(db_session, org, agreement=False)
    report = compliance.check_lot(db_session, org.id, lot.code)
    [finding] = [f for f in report.findings if f.code == "AGR-ACTIVE"]
    assert finding.severity == Severity.BLOCKING
    assert len(finding.plots) == 1 and finding.plots[0].endswith(f" · {plot.name}")
    assert len(finding.deliveries) == 1


def test_in_conversion_origins_block_the_organic_claim(db_session, org):
    lot, _plot = origin(db_session, org, plot_fields={"organic_conversion_start": date(2025, 1, 1)})
    assert "ORG-ORIGIN" in codes(compliance.check_lot(db_session, org.id, lot.code))


def test_a_downgraded_blend_blocks_the_organic_claim(db_session, org):
    organic, _p = origin(db_session, org, product_form="dry_parchment")
    converting, _p = origin(
        db_session,
        org,
        product_form="dry_parchment",
        plot_fields={"organic_conversion_start": date(2025, 1, 1)},
    )
    merge = transformations.merge(
        db_session,
        org.id,
        None,
        [(organic.code, None), (converting.code, None)],
        ON,
        downgrade_reason="Sold as conventional",
    )
    blend = transformations.parts_of(db_session, merge)[1][0]
    assert {"ORG-COMMINGLED", "ORG-ORIGIN"} <= codes(
        compliance.check_lot(db_session, org.id, blend.code)
    )


def test_a_lapsed_organic_certificate_blocks(db_session, org):
    lot, _plot = origin(
        db_session, org, plot_fields={"organic_certificate_valid_until": date(2026, 1, 31)}
    )
    report = compliance.check_lot(db_session, org.id, lot.code)
    assert "ORG-CERTIFICATE" in codes(report)


def test_coffee_without_geolocation_blocks_but_pitahaya_does_not(db_session, org):
    lot, _plot = origin(db_session, org, plot_fields={"geometry": None})
    finding = next(
        f
        for f in compliance.check_lot(db_session, org.id, lot.code).findings
        if f.code == "EUDR-GEO"
    )
    assert finding.severity == Severity.BLOCKING and len(finding.plots) == 1
    fruit, _plot = origin(
        db_session,
        org,
        product_form="fresh_fruit",
        cupped=False,
        plot_fields={"geometry": None, "crop": "pitahaya"},
    )
    assert "EUDR-GEO" not in codes(compliance.check_lot(db_session, org.id, fruit.code))


@pytest.mark.parametrize(
    ("evidence", "fields", "code", "severity"),
    [
        (None, {}, "FOR-MISSING", Severity.BLOCKING),
        ("no_data", {}, "FOR-MISSING", Severity.BLOCKING),
        ("loss_after_cutoff", {"loss_after_cutoff_ha": "0.4"}, "FOR-LOSS", Severity.BLOCKING),
        ("more_info_needed", {}, "FOR-MORE-INFO", Severity.WARNING),
    ],
)
def test_forest_evidence(db_session, org, evidence, fields, code, severity):
    lot, plot = origin(db_session, org, evidence=None)
    if evidence:
        forest(db_session, org, plot, evidence, **fields)
    found = [f for f in compliance.check_lot(db_session, org.id, lot.code).findings]
    assert [(f.code, f.severity) for f in found] == [(code, severity)]


def test_the_latest_evidence_counts(db_session, org):
    lot, plot = origin(db_session, org, evidence="more_info_needed")
    record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {
            "kind": "field",
            "result": "deforestation_free",
            "source": "Ranger visit 0042",
            "observed_on": date(2026, 7, 1),
        },
    )
    assert compliance.check_lot(db_session, org.id, lot.code).findings == []


def test_an_over_delivering_plot_is_a_mass_balance_warning(db_session, org):
    # 500 kg of green coffee (640 kg parchment equivalent) from a 1.2 ha plot expected to
    # yield 400 kg/ha: 133 %, over the 20 % tolerance, under the +100 % blocking threshold.
    lot, _plot = origin(db_session, org, plot_fields={"expected_yield_kg_ha": Decimal("400")})
    report = compliance.check_lot(db_session, org.id, lot.code)
    assert [(f.code, f.severity) for f in report.findings] == [("MB-OVER", Severity.WARNING)]


def test_an_uncupped_export_lot_is_a_warning(db_session, org):
    lot, _plot = origin(db_session, org, cupped=False)
    report = compliance.check_lot(db_session, org.id, lot.code)
    assert [(f.code, f.severity) for f in report.findings] == [("CUP-MISSING", Severity.WARNING)]
    assert lot.code in report.findings[0].message


def test_a_shipment_carries_its_share_of_the_origins_and_its_documents(db_session, org):
    lot, _plot = origin(db_session, org)
    shipment = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": "HH-2026-01",
            "crop": "coffee",
            "buyer_name": "Kaffee GmbH",
            "buyer_country": "DE",
        },
    )
    empty = compliance.check_shipment(db_session, org.id, shipment.reference)
    assert {"SHP-NO-BAGS", "SHP-CONTAINER"} <= codes(empty)
    bags.create_bags(db_session, org.id, None, lot.code, 3)
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    report = compliance.check_shipment(db_session, org.id, shipment.reference)
    assert codes(report) == {"SHP-CONTAINER"}
    # 3 bags of 69 kg leave; the origins of the shipment add up to exactly that.
    assert report.subject.net_kg == Decimal("207")
    assert sum(kg for _o, kg in report.subject.origins) == Decimal("207")


def test_a_pitahaya_shipment_needs_its_phytosanitary_certificate(db_session, org):
    shipment = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": "PIT-01",
            "crop": "pitahaya",
            "buyer_name": "Fruta BV",
            "buyer_country": "NL",
            "container_number": "CSQU3054383",
        },
    )
    assert "SHP-PHYTO" in codes(compliance.check_shipment(db_session, org.id, shipment.reference))
    shipments.update_shipment(
        db_session, org.id, None, shipment.reference, {"senasa_certificate_number": "SEN-991"}
    )
    assert "SHP-PHYTO" not in codes(
        compliance.check_shipment(db_session, org.id, shipment.reference)
    )


def test_a_bag_on_a_shipment_cannot_be_voided(db_session, org):
    from coopchain.errors import Conflict

    lot, _plot = origin(db_session, org)
    (bag,) = bags.create_bags(db_session, org.id, None, lot.code, 1)
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "X-1", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    shipments.allocate(db_session, org.id, None, "X-1", serials=[bag.serial])
    with pytest.raises(Conflict):
        bags.void_bag(db_session, org.id, None, bag.serial, "torn")
    shipments.release(db_session, org.id, None, "X-1", [bag.serial])
    assert bags.void_bag(db_session, org.id, None, bag.serial, "torn").voided_at is not None
