"""The lot rules that cross the database, on SQLite and PostgreSQL (issue: lots)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopchain.db import settings_of
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms.rules import OrganicStatus
from coopchain.ledger.models import LedgerEvent
from coopchain.ledger.services import verify_chain
from coopchain.lots import bags, consumption, services, transformations
from coopchain.lots.errors import CommingledOrganic, ImplausibleYield, InsufficientQuantity
from coopchain.lots.models import Bag, Delivery, Lot, Transformation, TransformationInput
from coopchain.lots.origins import origins_of, origins_of_many
from tests import factories
from tests.helpers import change_settings
from tests.lots.conftest import delivery_data, downgraded_merge
from tests.pinned_clock import PINNED_TODAY

D = Decimal
JUNE = date(2026, 6, 1)


def _outputs(db_session, transformation) -> list[Lot]:
    return transformations.parts_of(db_session, transformation)[1]


def _counts(db_session) -> tuple:
    return tuple(
        db_session.scalar(select(func.count()).select_from(model))
        for model in (Delivery, Lot, Transformation, TransformationInput, Bag, LedgerEvent)
    )


def _consumption_matches(db_session, lot: Lot) -> bool:
    db_session.refresh(lot)
    used = consumption.consumption_of(db_session, lot)["consumed_kg"]
    return lot.voided_at is not None or lot.available_kg == lot.quantity_kg - used


# --- deliveries -----------------------------------------------------------------------------


def test_a_delivery_creates_an_origin_lot_with_its_net_weight(db_session, org, farm):
    producer, plot = farm
    delivery = services.register_delivery(
        db_session, org.id, None, delivery_data(producer, plot, ticket_number="T-1")
    )
    lot = services.lot_of_delivery(db_session, delivery)
    assert delivery.net_kg == D("500.000")
    assert (lot.code, lot.quantity_kg, lot.available_kg) == ("CAF-2026-000001", D("500"), D("500"))
    assert lot.product_form == "dry_parchment" and lot.produced_on == date(2026, 6, 10)
    event = db_session.scalar(select(LedgerEvent).order_by(LedgerEvent.id.desc()).limit(1))
    assert (event.kind, event.event_type, event.action) == (
        "delivery.registered",
        "ObjectEvent",
        "ADD",
    )
    assert event.subject_id == lot.code


def test_the_producer_can_be_given_by_member_code(db_session, org, farm):
    producer, plot = farm
    data = delivery_data(producer, plot, producer_id=None, producer_code=producer.member_code)
    assert services.register_delivery(db_session, org.id, None, data).producer_id == producer.id


def test_lot_codes_count_per_year_and_crop(db_session, org, farm):
    producer, plot = farm
    pitahaya = factories.plot(db_session, org, producer, crop="pitahaya")
    codes = [
        factories.delivery(db_session, org, producer, plot, delivered_on=date(2025, 5, 1))[1].code,
        factories.delivery(db_session, org, producer, plot)[1].code,
        factories.delivery(db_session, org, producer, plot)[1].code,
        factories.delivery(db_session, org, producer, pitahaya, product_form="fresh_fruit")[1].code,
    ]
    assert codes == ["CAF-2025-000001", "CAF-2026-000001", "CAF-2026-000002", "PIT-2026-000001"]


def test_lot_code_pattern_is_a_setting_per_organisation(db_session, org, farm):
    producer, plot = farm
    patterns = settings_of(db_session).lot_code_patterns
    change_settings(
        db_session,
        lot_code_patterns={**patterns, "COOPAM": {"coffee": "{org}-C{year}-{seq:04d}"}},
    )
    assert factories.delivery(db_session, org, producer, plot)[1].code == "COOPAM-C2026-0001"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        # Tomorrow in Peru: the cooperative's clock, pinned by tests/conftest.py.
        ({"delivered_on": PINNED_TODAY + timedelta(days=1)}, "delivered_on"),
        ({"moisture_pct": D("70.01")}, "moisture_pct"),
        ({"moisture_pct": D("-1")}, "moisture_pct"),
        ({"gross_kg": D("20"), "tare_kg": D("20")}, "tare_kg"),
        ({"product_form": "fresh_fruit"}, "product_form"),
    ],
)
def test_intake_rules_refuse_the_ticket_naming_the_field(db_session, org, farm, changes, field):
    producer, plot = farm
    before = _counts(db_session)
    with pytest.raises(DomainError) as refused:
        services.register_delivery(
            db_session, org.id, None, delivery_data(producer, plot, **changes)
        )
    assert field in refused.value.fields
    assert _counts(db_session) == before


def test_moisture_of_exactly_70_is_accepted(db_session, org, farm):
    producer, plot = farm
    data = delivery_data(producer, plot, moisture_pct=D("70"), product_form="cherry")
    assert services.register_delivery(db_session, org.id, None, data).moisture_pct == D("70")


def test_a_withdrawn_member_cannot_deliver(db_session, org, farm):
    producer, plot = farm
    producer.status = "withdrawn"
    with pytest.raises(DomainError) as refused:
        services.register_delivery(db_session, org.id, None, delivery_data(producer, plot))
    assert "producer_code" in refused.value.fields


def test_search_treats_percent_and_underscore_literally(db_session, org, farm):
    producer, plot = farm
    for ticket in ("T_1", "TX1"):
        factories.delivery(db_session, org, producer, plot, ticket_number=ticket)
    found, total = services.list_deliveries(db_session, org.id, "t_1", 1, 25)
    assert total == 1 and found[0][0].ticket_number == "T_1"


def test_the_plot_must_belong_to_the_producer(db_session, org, farm):
    producer, _plot = farm
    neighbour = factories.producer(db_session, org)
    their_plot = factories.plot(db_session, org, neighbour)
    with pytest.raises(DomainError) as refused:
        services.register_delivery(db_session, org.id, None, delivery_data(producer, their_plot))
    assert "plot_id" in refused.value.fields


def test_a_plot_of_another_organisation_does_not_exist(db_session, org, other_org, farm):
    producer, _plot = farm
    foreign = factories.plot(db_session, other_org, factories.producer(db_session, other_org))
    with pytest.raises(DomainError) as refused:
        services.register_delivery(db_session, org.id, None, delivery_data(producer, foreign))
    assert "plot_id" in refused.value.fields


def test_ticket_numbers_are_unique_per_organisation(db_session, org, other_org, farm):
    producer, plot = farm
    services.register_delivery(
        db_session, org.id, None, delivery_data(producer, plot, ticket_number="T-9")
    )
    with pytest.raises(Conflict) as refused:
        services.register_delivery(
            db_session, org.id, None, delivery_data(producer, plot, ticket_number="T-9")
        )
    assert "ticket_number" in refused.value.fields
    other_producer = factories.producer(db_session, other_org)
    other_plot = factories.plot(db_session, other_org, other_producer)
    services.register_delivery(
        db_session,
        other_org.id,
        None,
        delivery_data(other_producer, other_plot, ticket_number="T-9"),
    )


# --- transformations ------------------------------------------------------------------------


def test_merge_consumes_inputs_partially_and_balances(db_session, org, farm):
    producer, plot = farm
    _d1, first = factories.delivery(db_session, org, producer, plot)
    _d2, second = factories.delivery(db_session, org, producer, plot, gross_kg=D("320"))
    merge = transformations.merge(
        db_session, org.id, None, [(first.code, None), (second.code, D("100.5"))], JUNE
    )
    (merged,) = _outputs(db_session, merge)
    assert merged.quantity_kg == D("600.500") and merge.loss_kg == 0
    assert (first.available_kg, second.available_kg) == (D("0"), D("199.500"))
    assert first.status == "depleted" and second.status == "available"
    for lot in (first, second, merged):
        assert _consumption_matches(db_session, lot)
    event = db_session.scalar(select(LedgerEvent).order_by(LedgerEvent.id.desc()).limit(1))
    assert (event.event_type, event.action, event.kind) == (
        "TransformationEvent",
        None,
        "lot.merge",
    )
    body = event.payload["data"]
    assert [i["quantity"] for i in body["inputQuantityList"]] == ["500.000", "100.500"]
    assert body["outputQuantityList"][0]["lot"] == merged.code


def test_process_records_the_loss_and_balances(db_session, org, farm):
    producer, plot = farm
    _d, parchment = factories.delivery(db_session, org, producer, plot, gross_kg=D("1020"))
    step = transformations.process(
        db_session, org.id, None, parchment.code, None, "green", D("780"), JUNE
    )
    (green,) = _outputs(db_session, step)
    assert (green.product_form, green.quantity_kg, step.loss_kg) == ("green", D("780"), D("220"))
    inputs = sum(q for _lot, q in transformations.parts_of(db_session, step)[0])
    assert inputs == green.quantity_kg + step.loss_kg


def test_an_implausible_yield_needs_confirmation(db_session, org, farm):
    producer, plot = farm
    _d, parchment = factories.delivery(db_session, org, producer, plot, gross_kg=D("1020"))
    with pytest.raises(ImplausibleYield) as refused:
        transformations.process(
            db_session, org.id, None, parchment.code, None, "green", D("500"), JUNE
        )
    assert "confirm_yield" in refused.value.fields
    assert parchment.available_kg == D("1000")
    step = transformations.process(
        db_session, org.id, None, parchment.code, None, "green", D("500"), JUNE, confirm_yield=True
    )
    assert step.yield_confirmed and step.loss_kg == D("500")


@pytest.mark.parametrize(("form", "to_form"), [("green", "dry_parchment"), ("green", "green")])
def test_processing_never_goes_backwards(db_session, org, farm, form, to_form):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form=form)
    with pytest.raises(DomainError) as refused:
        transformations.process(db_session, org.id, None, lot.code, None, to_form, D("100"), JUNE)
    assert "to_form" in refused.value.fields


def test_pitahaya_stays_fresh(db_session, org, farm):
    producer, _plot = farm
    plot = factories.plot(db_session, org, producer, crop="pitahaya")
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="fresh_fruit")
    with pytest.raises(DomainError):
        transformations.process(db_session, org.id, None, lot.code, None, "green", D("100"), JUNE)


def test_processing_cannot_create_kilograms(db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="cherry")
    with pytest.raises(DomainError) as refused:
        transformations.process(
            db_session, org.id, None, lot.code, None, "green", D("600"), JUNE, confirm_yield=True
        )
    assert "output_kg" in refused.value.fields


def test_split_keeps_the_rest_in_the_input(db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)
    step = transformations.split(
        db_session, org.id, None, lot.code, [D("120.25"), D("79.75")], JUNE
    )
    assert [o.quantity_kg for o in _outputs(db_session, step)] == [D("120.250"), D("79.750")]
    assert lot.available_kg == D("300") and step.loss_kg == 0


def test_a_sample_takes_the_configured_weight(db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    step = transformations.take_sample(db_session, org.id, None, lot.code, None, JUNE)
    assert step.loss_kg == D("0.300") and lot.available_kg == D("499.700")
    assert _outputs(db_session, step) == []


def test_no_lot_goes_below_zero(db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)
    before = _counts(db_session)
    with pytest.raises(InsufficientQuantity):
        transformations.split(db_session, org.id, None, lot.code, [D("300"), D("200.001")], JUNE)
    with pytest.raises(InsufficientQuantity):
        transformations.take_sample(db_session, org.id, None, lot.code, D("500.001"), JUNE)
    assert lot.available_kg == D("500") and _counts(db_session) == before


def test_a_transformation_cannot_predate_its_inputs(db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, delivered_on=date(2026, 6, 10))
    with pytest.raises(DomainError) as refused:
        transformations.split(
            db_session, org.id, None, lot.code, [D("1"), D("1")], date(2026, 6, 9)
        )
    assert "occurred_on" in refused.value.fields


def test_unknown_lot_is_not_found(db_session, org):
    with pytest.raises(NotFound):
        transformations.take_sample(db_session, org.id, None, "CAF-2026-999999", None, JUNE)


def test_another_organisations_lot_is_not_found(db_session, org, other_org):
    producer = factories.producer(db_session, other_org)
    _d, theirs = factories.delivery(
        db_session, other_org, producer, factories.plot(db_session, other_org, producer)
    )
    with pytest.raises(NotFound):
        transformations.take_sample(db_session, org.id, None, theirs.code, None, JUNE)


# --- organic integrity ----------------------------------------------------------------------


def test_organic_is_judged_on_each_delivery_date(db_session, org, farm):
    producer, _plot = farm
    # Conversion started 2023-07-01: organic from 2026-07-01 (36 months, DOMAIN.md §3).
    plot = factories.plot(db_session, org, producer, organic_conversion_start=date(2023, 7, 1))
    _d, before = factories.delivery(db_session, org, producer, plot, delivered_on=date(2026, 6, 30))
    _d, after = factories.delivery(db_session, org, producer, plot, delivered_on=date(2026, 7, 1))
    assert origins_of(db_session, before).organic_status == OrganicStatus.IN_CONVERSION
    assert origins_of(db_session, after).organic_status == OrganicStatus.ORGANIC


def test_merging_organic_with_in_conversion_is_commingling(db_session, org, farm):
    producer, organic_plot = farm
    young = factories.plot(db_session, org, producer, organic_conversion_start=date(2025, 1, 1))
    _d, organic = factories.delivery(db_session, org, producer, organic_plot)
    _d, converting = factories.delivery(db_session, org, producer, young)
    before = _counts(db_session)
    with pytest.raises(CommingledOrganic) as refused:
        transformations.merge(
            db_session, org.id, None, [(organic.code, None), (converting.code, None)], JUNE
        )
    assert organic.code in refused.value.message and converting.code in refused.value.message
    assert _counts(db_session) == before


def test_a_downgraded_merge_is_conventional_with_the_reason_in_the_ledger(db_session, org, farm):
    merged = downgraded_merge(
        db_session, org, farm, "Sold as conventional to a local roaster", JUNE
    )
    assert merged.downgraded
    assert origins_of(db_session, merged).organic_status == OrganicStatus.CONVENTIONAL
    event = db_session.scalar(select(LedgerEvent).order_by(LedgerEvent.id.desc()).limit(1))
    assert event.payload["data"]["downgradeReason"] == "Sold as conventional to a local roaster"
    # ... and the downgrade sticks through later steps.
    step = transformations.process(
        db_session, org.id, None, merged.code, None, "green", D("780"), JUNE
    )
    (green,) = _outputs(db_session, step)
    assert origins_of(db_session, green).organic_status == OrganicStatus.CONVENTIONAL


def test_in_conversion_with_conventional_merges_into_conventional(db_session, org, farm):
    producer, _plot = farm
    young = factories.plot(db_session, org, producer, organic_conversion_start=date(2025, 1, 1))
    conventional = factories.plot(db_session, org, producer, organic_conversion_start=None)
    _d, converting = factories.delivery(db_session, org, producer, young)
    _d, other = factories.delivery(db_session, org, producer, conventional)
    merge = transformations.merge(
        db_session, org.id, None, [(converting.code, None), (other.code, None)], JUNE
    )
    (merged,) = _outputs(db_session, merge)
    assert origins_of(db_session, merged).organic_status == OrganicStatus.CONVENTIONAL
    assert not merged.downgraded


def test_merging_organic_lots_stays_organic(db_session, org, farm):
    producer, plot = farm
    _d, first = factories.delivery(db_session, org, producer, plot)
    _d, second = factories.delivery(db_session, org, producer, plot)
    merge = transformations.merge(
        db_session, org.id, None, [(first.code, None), (second.code, None)], JUNE
    )
    assert origins_of(db_session, _outputs(db_session, merge)[0]).organic_status == "organic"


def test_lots_of_different_forms_cannot_be_merged(db_session, org, farm):
    producer, plot = farm
    _d, parchment = factories.delivery(db_session, org, producer, plot)
    _d, green = factories.delivery(db_session, org, producer, plot, product_form="green")
    with pytest.raises(DomainError):
        transformations.merge(
            db_session, org.id, None, [(parchment.code, None), (green.code, None)], JUNE
        )


# --- origins ----------------------------------------------------------------------------------


def test_origins_are_proportional_through_merge_process_and_split(db_session, org, farm):
    producer, plot = farm
    neighbour = factories.producer(db_session, org)
    their_plot = factories.plot(db_session, org, neighbour)
    _d, a = factories.delivery(db_session, org, producer, plot)  # 500 kg
    _d, b = factories.delivery(db_session, org, neighbour, their_plot, gross_kg=D("320"))  # 300
    merge = transformations.merge(
        db_session, org.id, None, [(a.code, None), (b.code, D("100"))], JUNE
    )
    (merged,) = _outputs(db_session, merge)  # 600 kg: 5/6 from a, 1/6 from b
    step = transformations.process(
        db_session, org.id, None, merged.code, None, "green", D("468"), JUNE
    )
    (green,) = _outputs(db_session, step)
    split = transformations.split(db_session, org.id, None, green.code, [D("138"), D("330")], JUNE)
    small, _large = _outputs(db_session, split)
    origins = origins_of(db_session, small)
    assert {o.producer_id: o.kg for o in origins.origins} == {
        producer.id: D("115"),
        neighbour.id: D("23"),
    }
    assert sum(o.kg for o in origins.origins) == small.quantity_kg
    assert origins.producer_count == 2 and origins.plot_count == 2


def test_a_lot_merged_back_with_its_own_split_counts_each_delivery_once(db_session, org, farm):
    producer, plot = farm
    _d, a = factories.delivery(db_session, org, producer, plot)
    _d, b = factories.delivery(db_session, org, producer, plot, gross_kg=D("220"))  # 200
    left, right = _outputs(
        db_session,
        transformations.split(db_session, org.id, None, a.code, [D("250"), D("250")], JUNE),
    )
    merge = transformations.merge(
        db_session, org.id, None, [(left.code, None), (right.code, D("50")), (b.code, None)], JUNE
    )
    (merged,) = _outputs(db_session, merge)
    kg = {o.ticket_number: o.kg for o in origins_of(db_session, merged).origins}
    assert len(kg) == 2 and sum(kg.values()) == D("500")
    assert sorted(kg.values()) == [D("200"), D("300")]


def test_origins_know_the_agreement_on_the_delivery_date(db_session, org, farm):
    producer, plot = farm  # agreement signed 2025-01-10 (tests/factories.py)
    _d, covered = factories.delivery(db_session, org, producer, plot)
    _d, early = factories.delivery(db_session, org, producer, plot, delivered_on=date(2024, 12, 1))
    assert origins_of(db_session, covered).all_under_agreement
    late = origins_of(db_session, early)
    assert not late.all_under_agreement and late.origins[0].agreement_numbers == ()


# --- bags -------------------------------------------------------------------------------------


def test_bags_consume_the_lot_and_carry_serials_and_tokens(db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    made = bags.create_bags(db_session, org.id, None, lot.code, 7)
    year = PINNED_TODAY.year  # serials carry the year the bags are made
    assert [b.serial for b in made][:2] == [f"PE-COOPAM-{year}-000001", f"PE-COOPAM-{year}-000002"]
    assert all(b.net_kg == D("69") for b in made)
    assert lot.available_kg == D("500") - 7 * D("69")
    tokens = {b.public_token for b in made}
    assert len(tokens) == 7 and min(len(t) for t in tokens) >= 22
    assert _consumption_matches(db_session, lot)


def test_only_export_forms_are_bagged(db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)
    with pytest.raises(DomainError):
        bags.create_bags(db_session, org.id, None, lot.code, 1)


def test_voiding_a_bag_returns_its_kilograms(db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    bag, _other = bags.create_bags(db_session, org.id, None, lot.code, 2)
    bags.void_bag(db_session, org.id, None, bag.serial, "Torn bag")
    assert lot.available_kg == D("500") - D("69") and bag.void_reason == "Torn bag"
    with pytest.raises(Conflict):
        bags.void_bag(db_session, org.id, None, bag.serial, "again")


# --- corrections ------------------------------------------------------------------------------


def test_a_delivery_is_voided_only_while_its_lot_is_untouched(db_session, org, farm):
    producer, plot = farm
    delivery, lot = factories.delivery(db_session, org, producer, plot)
    used, used_lot = factories.delivery(db_session, org, producer, plot)
    transformations.take_sample(db_session, org.id, None, used_lot.code, None, JUNE)
    with pytest.raises(DomainError):
        services.void_delivery(db_session, org.id, None, delivery.id, "  ")
    services.void_delivery(db_session, org.id, None, delivery.id, "Weighed twice")
    assert lot.status == "voided" and lot.available_kg == 0
    assert db_session.get(Delivery, delivery.id) is not None  # kept, never deleted
    with pytest.raises(Conflict):
        services.void_delivery(db_session, org.id, None, used.id, "too late")


def test_voiding_a_transformation_gives_the_inputs_back(db_session, org, farm):
    producer, plot = farm
    _d, a = factories.delivery(db_session, org, producer, plot)
    _d, b = factories.delivery(db_session, org, producer, plot)
    merge = transformations.merge(
        db_session, org.id, None, [(a.code, D("200")), (b.code, None)], JUNE
    )
    (merged,) = _outputs(db_session, merge)
    transformations.void_transformation(db_session, org.id, None, merge.id, "Wrong lots")
    db_session.refresh(a)
    assert (a.available_kg, b.available_kg) == (D("500"), D("500"))
    assert merged.status == "voided"
    assert _consumption_matches(db_session, a) and _consumption_matches(db_session, b)


def test_a_used_output_blocks_voiding_its_transformation(db_session, org, farm):
    producer, plot = farm
    _d, a = factories.delivery(db_session, org, producer, plot)
    step = transformations.split(db_session, org.id, None, a.code, [D("100"), D("100")], JUNE)
    transformations.take_sample(
        db_session, org.id, None, _outputs(db_session, step)[0].code, None, JUNE
    )
    with pytest.raises(Conflict):
        transformations.void_transformation(db_session, org.id, None, step.id, "oops")


def test_every_change_is_in_a_valid_ledger_chain(db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    (bag,) = bags.create_bags(db_session, org.id, None, lot.code, 1)
    bags.void_bag(db_session, org.id, None, bag.serial, "torn")
    kinds = list(
        db_session.scalars(
            select(LedgerEvent.kind)
            .where(LedgerEvent.organization_id == org.id)
            .order_by(LedgerEvent.seq)
        )
    )
    assert kinds[-3:] == ["delivery.registered", "bags.created", "bag.voided"]
    assert verify_chain(db_session, org.id)[1] is None


def test_origins_of_many_agree_with_origins_of(db_session, org, farm):
    producer, plot = farm
    _d, a = factories.delivery(db_session, org, producer, plot)
    _d, b = factories.delivery(db_session, org, producer, plot, gross_kg=D("320"))
    merge = transformations.merge(
        db_session, org.id, None, [(a.code, D("77.7")), (b.code, None)], JUNE
    )
    (merged,) = _outputs(db_session, merge)
    lots = [a, b, merged]
    many = origins_of_many(db_session, org.id, lots)
    for lot in lots:
        single = origins_of(db_session, lot)
        assert many[lot.id].origins == single.origins
        assert many[lot.id].organic_status == single.organic_status
