"""Mass balance: what each plot delivered in a season against area × expected yield."""

from datetime import date
from decimal import Decimal

import pytest

from coopchain.errors import DomainError
from coopchain.lots import services
from coopchain.lots.mass_balance import BalanceFlag, mass_balance, seasons
from tests import factories
from tests.helpers import change_settings


def plot_of(session, org, producer, area="1", yield_kg_ha="1000", **fields):
    """A plot with a declared area (no polygon, so no computed area) and its own yield."""
    return factories.plot(
        session,
        org,
        producer,
        geometry=None,
        declared_area_ha=None if area is None else Decimal(area),
        expected_yield_kg_ha=None if yield_kg_ha is None else Decimal(yield_kg_ha),
        **fields,
    )


def deliver(session, org, producer, plot, net, form="dry_parchment", on=date(2026, 5, 4)):
    delivery, _lot = factories.delivery(
        session,
        org,
        producer,
        plot,
        gross_kg=Decimal(net),
        tare_kg=Decimal("0"),
        product_form=form,
        delivered_on=on,
    )
    return delivery


@pytest.fixture
def producer(db_session, org):
    return factories.producer(db_session, org)


def line(report, plot):
    [found] = [p for p in report.plots if p.plot_id == plot.id]
    return found


def test_a_plot_delivering_130_percent_is_flagged_but_not_one_at_115(db_session, org, producer):
    over = plot_of(db_session, org, producer, name="A")
    fine = plot_of(db_session, org, producer, name="B")
    deliver(db_session, org, producer, over, "800")
    deliver(db_session, org, producer, over, "500")  # 1300 kg on 1 ha × 1000 kg/ha
    deliver(db_session, org, producer, fine, "1150")

    report = mass_balance(db_session, org.id, "2026")

    assert report.tolerance_pct == Decimal("20")
    high, ok = line(report, over), line(report, fine)
    assert (high.flag, high.ratio_pct, high.deliveries) == (BalanceFlag.OVER, Decimal("130.00"), 2)
    assert high.expected_kg == Decimal("1000.000")
    assert high.delivered_equivalent_kg == Decimal("1300.000")
    assert (ok.flag, ok.ratio_pct) == (BalanceFlag.OK, Decimal("115.00"))
    assert report.flagged == [high]


def test_exactly_at_the_tolerance_is_not_flagged(db_session, org, producer):
    plot = plot_of(db_session, org, producer)
    deliver(db_session, org, producer, plot, "1200")
    assert line(mass_balance(db_session, org.id, "2026"), plot).flag == BalanceFlag.OK


def test_cherry_counts_through_its_parchment_equivalent(db_session, org, producer):
    plot = plot_of(db_session, org, producer)
    deliver(db_session, org, producer, plot, "5000", form="cherry")  # × 0.20 = 1000
    deliver(db_session, org, producer, plot, "500")

    row = line(mass_balance(db_session, org.id, "2026"), plot)

    assert row.delivered_kg == {"cherry": Decimal("5000.000"), "dry_parchment": Decimal("500.000")}
    assert row.delivered_equivalent_kg == Decimal("1500.000")
    assert (row.ratio_pct, row.flag) == (Decimal("150.00"), BalanceFlag.OVER)


def test_cherry_is_not_mistaken_for_parchment(db_session, org, producer):
    plot = plot_of(db_session, org, producer)
    deliver(db_session, org, producer, plot, "5750", form="cherry")  # 5.75 × the parchment

    row = line(mass_balance(db_session, org.id, "2026"), plot)

    assert (row.delivered_equivalent_kg, row.ratio_pct) == (Decimal("1150.000"), Decimal("115.00"))
    assert row.flag == BalanceFlag.OK


def test_a_plot_without_area_is_reported_as_such(db_session, org, producer):
    plot = plot_of(db_session, org, producer, area=None)
    deliver(db_session, org, producer, plot, "99999")

    row = line(mass_balance(db_session, org.id, "2026"), plot)

    assert row.flag == BalanceFlag.NO_AREA
    assert row.area_ha is None and row.expected_kg is None and row.ratio_pct is None
    assert row.delivered_equivalent_kg == Decimal("99999.000")


def test_every_plot_of_the_register_is_listed_with_crop_defaults_and_totals(
    db_session, org, producer, other_org
):
    idle = plot_of(db_session, org, producer, area="2", yield_kg_ha=None, name="Idle")
    fruit = plot_of(db_session, org, producer, area="0.5", yield_kg_ha=None, crop="pitahaya")
    busy = plot_of(db_session, org, producer, name="Busy")
    deliver(db_session, org, producer, busy, "600")
    deliver(db_session, org, producer, fruit, "3000", form="fresh_fruit")
    stranger = factories.producer(db_session, other_org)
    deliver(db_session, other_org, stranger, plot_of(db_session, other_org, stranger), "9000")

    report = mass_balance(db_session, org.id, "2026")

    assert {p.plot_id for p in report.plots} == {idle.id, fruit.id, busy.id}
    quiet = line(report, idle)
    # No figure of its own: the crop default (700 kg/ha of dry parchment) applies.
    assert quiet.expected_yield_kg_ha == Decimal("700")
    assert (quiet.expected_kg, quiet.delivered_kg, quiet.deliveries) == (Decimal("1400.000"), {}, 0)
    assert (quiet.ratio_pct, quiet.flag) == (Decimal("0.00"), BalanceFlag.OK)
    assert line(report, fruit).expected_kg == Decimal("4000.000")  # 0.5 ha × 8000
    assert report.forms == ("dry_parchment", "fresh_fruit")

    coffee, pitahaya = report.totals
    assert (coffee.crop, coffee.plots, coffee.area_ha) == ("coffee", 2, Decimal("3"))
    assert coffee.expected_kg == Decimal("2400.000")
    assert coffee.delivered_equivalent_kg == Decimal("600.000")
    assert coffee.ratio_pct == Decimal("25.00")
    assert (pitahaya.crop, pitahaya.ratio_pct, pitahaya.over) == ("pitahaya", Decimal("75.00"), 0)


def test_only_live_deliveries_of_the_season_count(db_session, org, producer):
    plot = plot_of(db_session, org, producer)
    deliver(db_session, org, producer, plot, "400")
    deliver(db_session, org, producer, plot, "5000", on=date(2025, 12, 31))
    mistake = deliver(db_session, org, producer, plot, "5000")
    services.void_delivery(db_session, org.id, None, mistake.id, "wrong plot")

    row = line(mass_balance(db_session, org.id, "2026"), plot)

    assert (row.delivered_equivalent_kg, row.deliveries) == (Decimal("400.000"), 1)
    assert line(mass_balance(db_session, org.id, "2025"), plot).deliveries == 1


def test_seasons_newest_first_and_follow_the_start_month(db_session, org, producer):
    plot = plot_of(db_session, org, producer)
    deliver(db_session, org, producer, plot, "10", on=date(2025, 3, 1))
    deliver(db_session, org, producer, plot, "10", on=date(2026, 4, 1))
    deliver(db_session, org, producer, plot, "10", on=date(2026, 10, 2))
    assert seasons(db_session, org.id) == ["2026", "2025"]

    change_settings(db_session, season_start_month=10)  # the ICO coffee year
    assert seasons(db_session, org.id) == ["2026-27", "2025-26", "2024-25"]
    report = mass_balance(db_session, org.id, "2025-26")
    assert (report.starts_on, report.ends_before) == (date(2025, 10, 1), date(2026, 10, 1))
    assert line(report, plot).deliveries == 1


def test_an_unknown_season_label_is_refused(db_session, org):
    with pytest.raises(DomainError) as refused:
        mass_balance(db_session, org.id, "2026-99")
    assert "season" in refused.value.fields
    with pytest.raises(DomainError):
        mass_balance(db_session, org.id, "last year")
