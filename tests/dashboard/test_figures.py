"""Each dashboard figure against data built by hand: intake per form, stock by form and organic
status, lots waiting for a step, the season's weeks and cupping scores, the register counts and
the shipments in progress with their blocking findings."""

from datetime import date, timedelta
from decimal import Decimal

from coopchain.dashboard import figures
from coopchain.dashboard.page import shipments_in_progress
from coopchain.lots import transformations
from coopchain.lots.bags import create_bags
from coopchain.lots.services import void_delivery
from coopchain.shipments import services as shipments
from tests import factories
from tests.quality.test_lot_quality_page import cup

JUNE = date(2026, 6, 1)  # a Monday, months before the day the suite pins


def deliver(db_session, org, farm, on, **fields):
    producer, plot = farm
    return factories.delivery(db_session, org, producer, plot, delivered_on=on, **fields)


def test_intake_counts_live_tickets_and_net_kg_per_form_within_the_days(db_session, org, farm):
    deliver(db_session, org, farm, JUNE)  # 500 kg dry parchment
    deliver(db_session, org, farm, JUNE + timedelta(days=2), gross_kg=Decimal("320.5"))
    deliver(db_session, org, farm, JUNE + timedelta(days=6), product_form="cherry")
    voided, _lot = deliver(db_session, org, farm, JUNE + timedelta(days=1))
    void_delivery(db_session, org.id, None, voided.id, "Weighed twice")
    deliver(db_session, org, farm, JUNE + timedelta(days=7))  # the next week
    deliver(db_session, org, farm, JUNE - timedelta(days=1))  # the week before

    week = figures.intake(db_session, org.id, JUNE, JUNE + timedelta(days=6))
    day = figures.intake(db_session, org.id, JUNE, JUNE)

    assert week.by_form == [("cherry", 1, Decimal("500")), ("dry_parchment", 2, Decimal("800.5"))]
    assert week.tickets == 3
    assert day.by_form == [("dry_parchment", 1, Decimal("500"))]


def test_the_week_starts_on_monday():
    assert figures.week_start(date(2026, 6, 3)) == JUNE
    assert figures.week_start(JUNE) == JUNE
    assert figures.week_start(date(2026, 6, 7)) == JUNE


def test_stock_is_available_kg_by_form_and_organic_status(db_session, org, farm):
    producer, organic_plot = farm
    young = factories.plot(
        db_session, org, producer, organic_conversion_start=JUNE - timedelta(days=400)
    )
    conventional = factories.plot(db_session, org, producer, organic_conversion_start=None)
    _d, parchment = deliver(db_session, org, farm, JUNE)  # 500 kg organic
    transformations.process(
        db_session,
        org.id,
        None,
        parchment.code,
        Decimal("400"),
        "green",
        Decimal("300"),
        JUNE + timedelta(days=1),
    )
    factories.delivery(db_session, org, producer, young, delivered_on=JUNE)
    factories.delivery(db_session, org, producer, conventional, delivered_on=JUNE)
    _d, used_up = deliver(db_session, org, farm, JUNE, product_form="green")
    create_bags(db_session, org.id, None, used_up.code, 4, Decimal("125"))
    voided, _lot = deliver(db_session, org, farm, JUNE)
    void_delivery(db_session, org.id, None, voided.id, "Wrong producer")

    lots = figures.available_lots(db_session, org.id)
    rows = [
        (row["product_form"], row["organic_status"], row["lots"], row["kg"])
        for row in figures.stock(db_session, org.id, lots)
    ]

    assert rows == [
        ("dry_parchment", "organic", 1, Decimal("100")),
        ("dry_parchment", "in_conversion", 1, Decimal("500")),
        ("dry_parchment", "conventional", 1, Decimal("500")),
        ("green", "organic", 1, Decimal("300")),
    ]


def test_waiting_lots_are_coffee_before_green_and_export_forms_not_yet_bagged(
    db_session, org, farm
):
    producer, _plot = farm
    fruit_plot = factories.plot(db_session, org, producer, crop="pitahaya")
    _d, cherry = deliver(db_session, org, farm, JUNE, product_form="cherry")
    _d, parchment = deliver(db_session, org, farm, JUNE + timedelta(days=1))
    _d, green = deliver(db_session, org, farm, JUNE, product_form="green")
    create_bags(db_session, org.id, None, green.code, 2)  # 2 × 69 kg of 500
    _d, fruit = factories.delivery(
        db_session, org, producer, fruit_plot, product_form="fresh_fruit", delivered_on=JUNE
    )

    found = figures.waiting(figures.available_lots(db_session, org.id))

    assert found["process"].lots == 2 and found["process"].kg == Decimal("1000")
    assert [lot.code for lot in found["process"].oldest] == [cherry.code, parchment.code]
    assert found["bag"].lots == 2 and found["bag"].kg == Decimal("862")
    assert {lot.code for lot in found["bag"].oldest} == {green.code, fruit.code}


def test_waiting_lists_the_oldest_and_counts_the_rest(db_session, org, farm):
    made = [
        deliver(db_session, org, farm, JUNE + timedelta(days=n))[1]
        for n in range(figures.WAITING_LISTED + 2)
    ]
    found = figures.waiting(figures.available_lots(db_session, org.id))["process"]
    assert found.lots == figures.WAITING_LISTED + 2
    assert [lot.code for lot in found.oldest] == [lot.code for lot in made][: len(found.oldest)]
    assert len(found.oldest) == figures.WAITING_LISTED


def test_deliveries_per_week_fill_every_week_and_leave_out_voided(db_session, org, farm):
    deliver(db_session, org, farm, JUNE)
    deliver(db_session, org, farm, JUNE + timedelta(days=3), gross_kg=Decimal("120"))
    voided, _lot = deliver(db_session, org, farm, JUNE + timedelta(days=8))
    void_delivery(db_session, org.id, None, voided.id, "Test ticket")
    deliver(db_session, org, farm, JUNE + timedelta(days=15))

    weeks = figures.deliveries_per_week(
        db_session, org.id, JUNE - timedelta(days=3), JUNE + timedelta(days=20)
    )

    assert [(w["week"], w["tickets"], w["kg"]) for w in weeks] == [
        (JUNE - timedelta(days=7), 0, Decimal("0")),
        (JUNE, 2, Decimal("600")),
        (JUNE + timedelta(days=7), 0, Decimal("0")),
        (JUNE + timedelta(days=14), 1, Decimal("500")),
    ]


def test_cupping_scores_are_each_lots_latest_panel_mean_in_the_season(db_session, org, farm):
    _d, first = deliver(db_session, org, farm, JUNE, product_form="green")
    _d, second = deliver(db_session, org, farm, JUNE, product_form="green")
    cup(db_session, org, [(first, ["84", "85"])], held_on=date(2026, 6, 10))
    cup(db_session, org, [(first, ["86", "86.5"]), (second, ["79"])], held_on=date(2026, 6, 20))
    cup(db_session, org, [(second, ["90"])], held_on=date(2026, 7, 5))  # after the period

    rows = figures.cupping_scores(db_session, org.id, JUNE, date(2026, 6, 30))

    assert [(r["lot_code"], r["score"], r["classification"], r["cuppers"]) for r in rows] == [
        (first.code, Decimal("86.25"), "excellent", 2),
        (second.code, Decimal("79.00"), "below_specialty", 1),
    ]


def test_register_counts_hectares_from_the_polygon_else_the_declared_area(db_session, org, farm):
    producer, mapped = farm
    factories.plot(db_session, org, producer, geometry=None, declared_area_ha=Decimal("2.5"))

    counts = figures.register_counts(db_session, org.id, date(2026, 6, 1))

    assert counts["producers"] == 1 and counts["plots"] == 2
    assert counts["hectares"] == mapped.computed_area_ha + Decimal("2.5")
    assert counts["active_agreements"] == 1


def test_shipments_in_progress_carry_their_blocking_findings_and_shipped_ones_are_left_out(
    db_session, org, farm
):
    producer, plot = farm
    outsider = factories.producer(db_session, org)  # no agreement in force
    outsider_plot = factories.plot(db_session, org, outsider)
    _d, green = deliver(db_session, org, farm, JUNE, product_form="green")
    _d, risky = factories.delivery(
        db_session, org, outsider, outsider_plot, product_form="green", delivered_on=JUNE
    )
    bags = create_bags(db_session, org.id, None, risky.code, 2)
    planned = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "S-1", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    shipments.allocate(db_session, org.id, None, "S-1", serials=[b.serial for b in bags])
    gone = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "S-0", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    gone.status = "shipped"  # a shipped shipment is frozen: the dashboard no longer judges it
    db_session.flush()

    rows, total = shipments_in_progress(db_session, org.id)

    assert total == 1 and [row["shipment"].reference for row in rows] == [planned.reference]
    codes = {finding.code for finding in rows[0]["report"].blocking}
    assert "AGR-ACTIVE" in codes
    assert rows[0]["report"].subject.bags == 2
    assert green.available_kg == Decimal("500")
