"""Materialised origins (issue 19 §2): each made lot's exact share of every delivery, written
with the transformation that makes it, deleted when it is voided, rebuilt identically by the
migration's backfill, and read by origins_of in place of a walk of the genealogy."""

import importlib.util
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from coopchain.farms.rules import OrganicStatus
from coopchain.lots import delivery_facts, origin_shares, transformations
from coopchain.lots.models import LotOriginShare
from coopchain.lots.origins import origins_of, origins_of_many
from tests import factories
from tests.lots.conftest import downgraded_merge

JUNE = date(2026, 6, 10)
VERSIONS = Path(__file__).parents[2] / "migrations/versions"
MIGRATION = VERSIONS / "20261202_19a0041c1001_lot_origin_shares.py"
GRAMS_MIGRATION = VERSIONS / "20261203_19e0a9b2c001_lot_origin_shares_grams.py"


def _outputs(db_session, transformation):
    return transformations.parts_of(db_session, transformation)[1]


def _rows(db_session, lot_ids=None) -> dict:
    query = select(
        LotOriginShare.lot_id,
        LotOriginShare.origin_lot_id,
        LotOriginShare.delivery_id,
        LotOriginShare.plot_id,
        LotOriginShare.share_num,
        LotOriginShare.share_den,
        LotOriginShare.downgraded,
        LotOriginShare.share_g,
    )
    if lot_ids is not None:
        query = query.where(LotOriginShare.lot_id.in_(lot_ids))
    return {(r[0], r[1]): tuple(r[2:]) for r in db_session.execute(query)}


def _genealogy(db_session, org, farm):
    """d1 (500 kg) + 200 kg of d2 (300.5 kg) merged, split 400/300, the 400 merged with d3
    (400 kg) and processed to 624 kg of green: green is 5/14 d1, 2/14 d2, 7/14 d3."""
    producer, plot = farm
    d1, lot1 = factories.delivery(db_session, org, producer, plot)
    d2, lot2 = factories.delivery(db_session, org, producer, plot, gross_kg=D("320.5"))
    d3, lot3 = factories.delivery(db_session, org, producer, plot, gross_kg=D("420"))
    merge = transformations.merge(
        db_session, org.id, None, [(lot1.code, None), (lot2.code, D("200"))], JUNE
    )
    (merged,) = _outputs(db_session, merge)
    split = transformations.split(db_session, org.id, None, merged.code, [D("400"), D("300")], JUNE)
    first, _second = _outputs(db_session, split)
    again = transformations.merge(
        db_session, org.id, None, [(first.code, None), (lot3.code, None)], JUNE
    )
    (mixed,) = _outputs(db_session, again)
    step = transformations.process(
        db_session, org.id, None, mixed.code, None, "green", D("624"), JUNE, confirm_yield=True
    )
    (green,) = _outputs(db_session, step)
    return {"deliveries": (d1, d2, d3), "lots": (lot1, lot2, lot3), "green": green, "step": step}


def test_a_made_lot_keeps_its_exact_shares_adding_up_to_one(db_session, org, farm):
    made = _genealogy(db_session, org, farm)
    green = made["green"]
    lot1, lot2, lot3 = made["lots"]
    d1, d2, d3 = made["deliveries"]
    rows = _rows(db_session, [green.id])
    plot_id = farm[1].id
    assert rows == {
        (green.id, lot1.id): (d1.id, plot_id, "5", "14", False, 222_857),
        (green.id, lot2.id): (d2.id, plot_id, "2", "14", False, 89_143),
        (green.id, lot3.id): (d3.id, plot_id, "7", "14", False, 312_000),
    }
    found = {o.ticket_number: o.kg for o in origins_of(db_session, green).origins}
    # 624 kg × 5/14 = 222.857142…, × 2/14 = 89.142857…: the left-over gram goes to the larger
    # remainder, so the origins add up to the lot.
    assert found == {
        d1.ticket_number: D("222.857"),
        d2.ticket_number: D("89.143"),
        d3.ticket_number: D("312.000"),
    }
    assert sum(found.values()) == green.quantity_kg


def test_every_stored_share_is_what_the_genealogy_gives(db_session, org, farm):
    _genealogy(db_session, org, farm)
    computed, _lots = origin_shares.recompute(db_session, org.id)
    stored, _facts = origin_shares.stored(db_session, org.id, list(computed))
    assert stored == computed
    for shares in stored.values():
        assert sum(num for num, _down in shares.rows.values()) == shares.den


def test_voiding_a_transformation_deletes_its_lots_shares_and_origins_still_answer(
    db_session, org, farm
):
    made = _genealogy(db_session, org, farm)
    green = made["green"]
    before = [(o.delivery_id, o.kg) for o in origins_of(db_session, green).origins]
    transformations.void_transformation(db_session, org.id, None, made["step"].id, "wrong form")
    db_session.refresh(green)
    assert _rows(db_session, [green.id]) == {}
    assert [(o.delivery_id, o.kg) for o in origins_of(db_session, green).origins] == before
    many = origins_of_many(db_session, org.id, [green, made["lots"][0]])
    assert [(o.delivery_id, o.kg) for o in many[green.id].origins] == before
    assert [o.kg for o in many[made["lots"][0].id].origins] == [D("500.000")]


def test_a_sample_writes_no_shares_and_a_delivery_lot_is_its_own_origin(db_session, org, farm):
    producer, plot = farm
    delivery, lot = factories.delivery(db_session, org, producer, plot)
    transformations.take_sample(db_session, org.id, None, lot.code, D("0.3"), JUNE)
    assert _rows(db_session) == {}
    (origin,) = origins_of(db_session, lot).origins
    assert (origin.delivery_id, origin.kg) == (delivery.id, D("500.000"))


def test_a_downgrade_is_kept_on_every_share_made_from_it(db_session, org, farm):
    merged = downgraded_merge(db_session, org, farm, "Sold as conventional", JUNE)
    step = transformations.process(
        db_session, org.id, None, merged.code, None, "green", D("780"), JUNE
    )
    (green,) = _outputs(db_session, step)
    rows = _rows(db_session, [merged.id, green.id])
    assert len(rows) == 4 and all(row[4] for row in rows.values())
    assert origins_of(db_session, green).downgraded


def _migration(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def test_the_migrations_backfill_writes_the_same_rows_as_the_services(db_session, org, farm):
    _genealogy(db_session, org, farm)
    written = _rows(db_session)
    assert len(written) == 2 + 2 * 2 + 3 + 3  # merge, split (two lots), merge, process
    # The first migration wrote the fractions into the table as it was then (no grams): into a
    # table of that shape here.
    migration = _migration(MIGRATION)
    then = sa.Table(
        "lot_origin_shares_as_created",
        sa.MetaData(),
        *(sa.Column(column.name, column.type) for column in migration._shares.columns),
    )
    then.create(db_session.connection())
    migration._shares = then
    migration._backfill(db_session.connection())
    backfilled = {
        (r.lot_id, r.origin_lot_id): (r.delivery_id, r.plot_id, r.share_num, r.share_den)
        for r in db_session.execute(sa.select(then))
    }
    assert backfilled == {key: row[:4] for key, row in written.items()}
    # The second fills the grams of rows that have none yet.
    db_session.execute(sa.update(LotOriginShare).values(share_g=-1))
    _migration(GRAMS_MIGRATION)._backfill(db_session.connection())
    assert _rows(db_session) == written


def test_organic_statuses_say_what_origins_of_many_says(db_session, org, farm):
    from coopchain.lots.origins import organic_statuses

    producer, organic_plot = farm
    young = factories.plot(db_session, org, producer, organic_conversion_start=date(2025, 1, 1))
    conventional = factories.plot(db_session, org, producer, organic_conversion_start=None)
    made = _genealogy(db_session, org, farm)
    _d, converting = factories.delivery(db_session, org, producer, young)
    _d, other = factories.delivery(db_session, org, producer, conventional)
    _d, organic = factories.delivery(db_session, org, producer, organic_plot)
    mixed = transformations.merge(
        db_session, org.id, None, [(converting.code, None), (other.code, None)], JUNE
    )
    downgraded = transformations.merge(
        db_session,
        org.id,
        None,
        [(organic.code, D("100")), (_outputs(db_session, mixed)[0].code, D("100"))],
        JUNE,
        downgrade_reason="Sold as conventional",
    )
    transformations.void_transformation(db_session, org.id, None, made["step"].id, "wrong")
    db_session.refresh(made["green"])
    lots = [
        made["green"],  # voided: recomputed
        *made["lots"],
        converting,
        other,
        organic,
        _outputs(db_session, mixed)[0],
        _outputs(db_session, downgraded)[0],
    ]
    expected = {
        lot_id: found.organic_status
        for lot_id, found in origins_of_many(db_session, org.id, lots).items()
    }
    assert organic_statuses(db_session, org.id, lots) == expected
    assert {status.value for status in expected.values()} == {
        "organic",
        "in_conversion",
        "conventional",
    }


def test_organic_statuses_of_more_lots_than_one_query_binds(db_session, org, farm):
    """The dashboard asks for a season's thousands of lots at once: read 900 at a time on
    SQLite (its bound-parameter limit), as one array on PostgreSQL. The lots after the first
    900 must be judged like the others."""
    from types import SimpleNamespace

    from coopchain.lots.origins import organic_statuses

    made = _genealogy(db_session, org, farm)
    real = [*made["lots"], made["green"]]
    # Ids no lot has, in front: they have no origins (conventional), and push the real lots
    # past the first 900 of both reads (made lots and delivery lots).
    absent = 10_000_000
    padding = [
        SimpleNamespace(id=absent + i, delivery_id=i % 2 or None, downgraded=False, voided_at=None)
        for i in range(1_900)
    ]
    expected = {lot.id: found.organic_status for lot, found in _each(db_session, org, real)}

    statuses = organic_statuses(db_session, org.id, padding + real)

    assert {lot.id: statuses[lot.id] for lot in real} == expected
    assert {statuses[lot.id] for lot in padding} == {OrganicStatus.CONVENTIONAL}


def _each(db_session, org, lots):
    found = origins_of_many(db_session, org.id, lots)
    return [(lot, found[lot.id]) for lot in lots]


def test_a_lots_shares_are_read_through_its_own_rows_not_the_whole_organisations(
    db_session, org, farm
):
    """With an index on the organisation alone, SQLite searched every share the organisation
    ever stored to find one lot's: origins grew slower with each season. The read must search
    by organisation and lot (the migration's index) or by the lot's primary key."""
    if db_session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's query plan; PostgreSQL's planner weighs its own statistics")
    green = _genealogy(db_session, org, farm)["green"]
    query = delivery_facts.shares_query(org.id, [green.id])
    sql = str(query.compile(db_session.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = " ".join(
        str(row[-1]) for row in db_session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
    )
    searched = plan.split("SEARCH", 2)[1]  # the first table searched: the shares
    assert "lot_id=?" in searched, plan


def test_origins_see_changes_made_earlier_in_the_same_transaction(db_session, org, farm):
    """The reads go to the connection, past the ORM: what the session holds unflushed must be
    flushed first, or a consent withdrawn a moment ago would still print the name."""
    producer, _plot = farm
    producer.public_name_consent = True
    made = _genealogy(db_session, org, farm)
    green, (delivery_lot, *_others) = made["green"], made["lots"]
    assert {o.public_name_consent for o in origins_of(db_session, green).origins} == {True}

    producer.public_name_consent = False  # not flushed

    assert {o.public_name_consent for o in origins_of(db_session, green).origins} == {False}
    many = origins_of_many(db_session, org.id, [green, delivery_lot])
    assert {o.public_name_consent for found in many.values() for o in found.origins} == {False}
