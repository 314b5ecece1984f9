"""page_facts: what a public trace page shows, as plain values, before any template. Family
numbers follow contribution, shares add up, the smallest plots are summed up, certificates are
judged on the right day, and nothing private is ever gathered (issue: public trace pages)."""

from dataclasses import asdict, is_dataclass
from datetime import date
from decimal import Decimal

from coopchain.lots import transformations
from coopchain.lots.bags import create_bags
from coopchain.trace.public import find_bag, find_lot, page_facts
from tests import factories
from tests.helpers import change_settings
from tests.trace.public_fixtures import (
    green_lot_of,
    grower,
    merged,
    shipment_with,
)


def facts_of_lot(db_session, lot) -> dict:
    target = find_lot(db_session, lot.public_token)
    assert target is not None
    return page_facts(db_session, target)


def area(plot) -> Decimal:
    return plot.computed_area_ha if plot.computed_area_ha is not None else plot.declared_area_ha


# --- families and shares ----------------------------------------------------------------------


def test_families_are_numbered_by_what_each_family_gave_in_total(db_session, org):
    two_plots, producer_plot = grower(db_session, org)  # 250 + 250 kg from two plots
    second_plot = factories.plot(db_session, org, two_plots)
    one_plot = grower(db_session, org)  # 400 kg from one plot
    least = grower(db_session, org)  # 100 kg
    lot = merged(
        db_session,
        org,
        [
            green_lot_of(db_session, org, two_plots, producer_plot, "250"),
            green_lot_of(db_session, org, two_plots, second_plot, "250"),
            green_lot_of(db_session, org, *one_plot, "400"),
            green_lot_of(db_session, org, *least, "100"),
        ],
    )

    facts = facts_of_lot(db_session, lot)

    # Rows go by plot (largest first); the number says which family, by its whole share.
    assert [(row["family"], row["kg"]) for row in facts["plots"]] == [
        (2, Decimal("400")),
        (1, Decimal("250")),
        (1, Decimal("250")),
        (3, Decimal("100")),
    ]
    assert facts["origin"]["families"] == 3
    assert facts["origin"]["plots"] == 4


def test_families_that_gave_the_same_are_numbered_in_registry_order(db_session, org):
    # The same numbers on every worker and every day: a tie never depends on query order.
    earlier = grower(db_session, org, altitude=1111)
    later = grower(db_session, org, altitude=2222)
    lots = [green_lot_of(db_session, org, *g, "300") for g in (later, earlier)]
    lot = merged(db_session, org, lots)

    facts = facts_of_lot(db_session, lot)

    assert [(row["family"], row["altitude_m"]) for row in facts["plots"]] == [(1, 1111), (2, 2222)]


def test_shares_add_up_to_the_whole_lot(db_session, org):
    lot = merged(
        db_session, org, [green_lot_of(db_session, org, *grower(db_session, org)) for _ in range(3)]
    )

    shares = [row["share_pct"] for row in facts_of_lot(db_session, lot)["plots"]]

    assert shares == [Decimal("33.3")] * 3
    assert abs(sum(shares) - 100) <= Decimal("0.1") * len(shares)


def test_shares_of_a_part_of_a_lot_are_those_of_the_lot(db_session, org):
    big, small = grower(db_session, org), grower(db_session, org)
    lot = merged(
        db_session,
        org,
        [green_lot_of(db_session, org, *big, "750"), green_lot_of(db_session, org, *small, "250")],
    )
    split = transformations.split(
        db_session, org.id, None, lot.code, [Decimal("600"), Decimal("400")], date(2026, 6, 2)
    )
    part = transformations.parts_of(db_session, split)[1][1]

    facts = facts_of_lot(db_session, part)

    assert [row["share_pct"] for row in facts["plots"]] == [Decimal("75.0"), Decimal("25.0")]
    assert [row["kg"] for row in facts["plots"]] == [Decimal("300"), Decimal("100")]


# --- the smallest plots summed up -------------------------------------------------------------


def test_plots_beyond_the_limit_are_counted_with_their_hectares(db_session, org):
    change_settings(db_session, public_max_plot_rows=2)
    growers = [grower(db_session, org, side=0.0005 * (n + 1)) for n in range(5)]
    lot = merged(
        db_session,
        org,
        [green_lot_of(db_session, org, *g, str(500 - 50 * n)) for n, g in enumerate(growers)],
    )

    facts = facts_of_lot(db_session, lot)

    assert [row["kg"] for row in facts["plots"]] == [Decimal("500"), Decimal("450")]
    assert facts["more_plots"]["count"] == 3
    assert facts["more_plots"]["hectares"] == sum(area(plot) for _p, plot in growers[2:])
    assert facts["origin"]["plots"] == 5
    assert facts["origin"]["families"] == 5
    assert facts["origin"]["hectares"] == sum(area(plot) for _p, plot in growers)


def test_no_plot_is_summed_up_when_all_fit(db_session, org):
    lot = green_lot_of(db_session, org, *grower(db_session, org))

    facts = facts_of_lot(db_session, lot)

    assert facts["more_plots"] == {"count": 0, "hectares": Decimal("0")}
    assert len(facts["plots"]) == 1


# --- organic ----------------------------------------------------------------------------------


def test_one_expired_certificate_stops_the_organic_claim(db_session, org):
    expired = grower(db_session, org, certifier="BioLatina", valid_until=date(2026, 1, 31))
    current = grower(
        db_session, org, certifier="Control Union Peru", valid_until=date(2030, 12, 31)
    )
    lot = merged(
        db_session,
        org,
        [green_lot_of(db_session, org, *expired), green_lot_of(db_session, org, *current)],
    )

    organic = facts_of_lot(db_session, lot)["organic"]

    # The engine's judgement, not a second one: ORG-CERTIFICATE blocks, so nobody is named.
    assert organic == {
        "claim": "organic_not_certified",
        "certified": False,
        "downgraded": False,
        "because": ["ORG-CERTIFICATE"],
        "certifiers": [],
    }


def test_a_certifiers_earliest_expiry_is_the_one_shown(db_session, org):
    later = grower(db_session, org, certifier="BioLatina", valid_until=date(2030, 6, 30))
    sooner = grower(db_session, org, certifier="biolatina ", valid_until=date(2029, 3, 31))
    lot = merged(
        db_session,
        org,
        [green_lot_of(db_session, org, *later), green_lot_of(db_session, org, *sooner)],
    )

    organic = facts_of_lot(db_session, lot)["organic"]

    assert organic["claim"] == "certified_organic"
    assert organic["certifiers"] == [
        {"name": "BioLatina", "code": None, "country": "PE", "valid_until": date(2029, 3, 31)}
    ]


def test_a_shipped_bags_certificate_is_judged_on_the_day_it_shipped(db_session, org):
    producer, plot = grower(db_session, org, certifier="BioLatina", valid_until=date(2026, 1, 31))
    lot = green_lot_of(db_session, org, producer, plot, "500", date(2025, 11, 20))
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)
    shipment_with(db_session, org, [bag], "shipped", shipped_on=date(2026, 1, 15))

    facts = page_facts(db_session, find_bag(db_session, bag.public_token))

    # Certified when the coffee left, though the certificate has expired since.
    assert facts["organic"]["certified"] is True
    assert facts["judged_on"] == date(2026, 1, 15)
    assert facts["shipment"]["shipped_on"] == date(2026, 1, 15)
    assert facts_of_lot(db_session, lot)["organic"]["certified"] is False


def test_a_downgraded_blend_is_conventional_and_names_no_certifier(db_session, org):
    organic = grower(db_session, org, certifier="BioLatina", valid_until=date(2030, 1, 1))
    conventional = grower(db_session, org, conversion_start=None)
    # Mixing organic with conventional coffee is a downgrade, with its reason (DOMAIN.md §3).
    made = transformations.merge(
        db_session,
        org.id,
        None,
        [
            (green_lot_of(db_session, org, *organic).code, Decimal("500")),
            (green_lot_of(db_session, org, *conventional).code, Decimal("500")),
        ],
        date(2026, 6, 2),
        downgrade_reason="Blended for a conventional contract",
    )
    lot = transformations.parts_of(db_session, made)[1][0]

    organic_facts = facts_of_lot(db_session, lot)["organic"]

    assert organic_facts["claim"] == "conventional"
    assert organic_facts["downgraded"] is True
    assert "ORG-COMMINGLED" in organic_facts["because"]
    assert organic_facts["certifiers"] == []


# --- origin summary ---------------------------------------------------------------------------


def test_altitude_range_leaves_out_plots_without_an_altitude(db_session, org):
    lot = merged(
        db_session,
        org,
        [
            green_lot_of(db_session, org, *grower(db_session, org, altitude=altitude))
            for altitude in (1450, None, 1180, 1720)
        ],
    )

    origin = facts_of_lot(db_session, lot)["origin"]

    assert (origin["altitude_min"], origin["altitude_max"]) == (1180, 1720)


def test_no_altitude_at_all_gives_no_range(db_session, org):
    lot = green_lot_of(db_session, org, *grower(db_session, org, altitude=None))

    origin = facts_of_lot(db_session, lot)["origin"]

    assert (origin["altitude_min"], origin["altitude_max"]) == (None, None)


def test_seasons_follow_the_season_setting(db_session, org):
    change_settings(db_session, season_start_month=10)
    producer_plot = grower(db_session, org)
    lot = merged(
        db_session,
        org,
        [
            green_lot_of(db_session, org, *producer_plot, "500", date(2026, 6, 1)),
            green_lot_of(db_session, org, *producer_plot, "500", date(2026, 10, 5)),
        ],
        on=date(2026, 10, 6),
    )

    assert facts_of_lot(db_session, lot)["seasons"] == ["2025-26", "2026-27"]


# --- privacy ---------------------------------------------------------------------------------


def every_value(value):
    """Every scalar in the facts, however deep."""
    if is_dataclass(value):
        value = asdict(value)
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from every_value(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from every_value(item)
    else:
        yield value


def test_the_facts_hold_no_name_without_consent_and_nothing_private(db_session, org):
    named = grower(
        db_session,
        org,
        first_name="Rosa",
        last_name="Quispe",
        national_id="70918273",
        phone="951753852",
        public_name_consent=True,
    )
    unnamed = grower(
        db_session,
        org,
        first_name="Julio",
        last_name="Mamani",
        national_id="80213546",
        phone="962147258",
    )
    lot = merged(
        db_session,
        org,
        [green_lot_of(db_session, org, *named, "600"), green_lot_of(db_session, org, *unnamed)],
    )

    facts = facts_of_lot(db_session, lot)

    assert [row["name"] for row in facts["plots"]] == ["Rosa Quispe", None]
    for row in facts["plots"]:
        assert "plot_id" not in row and "producer_id" not in row
    text = " ".join(str(v) for k, v in facts.items() if k != "map_svg" for v in every_value(v))
    for private in ("Julio", "Mamani", "70918273", "80213546", "951753852", "962147258"):
        assert private not in text
    for producer, plot in (named, unnamed):
        assert producer.member_code not in text
        assert plot.name not in text  # a plot's name often is the family's
        for ring in plot.geometry["coordinates"]:
            for lon, lat in ring:
                assert f"{lon:.3f}" not in text and f"{lat:.3f}" not in text


def test_a_planned_shipment_gives_no_shipment_facts(db_session, org):
    lot = green_lot_of(db_session, org, *grower(db_session, org))
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)
    shipment_with(db_session, org, [bag], "loading")

    facts = page_facts(db_session, find_bag(db_session, bag.public_token))

    assert facts["shipment"] is None
    assert facts["bag"] == {"serial": bag.serial, "net_kg": Decimal("69")}
