"""Shipments: identifiers checked exactly, the status order, and bag allocation."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.models import LedgerEvent
from coopchain.lots.bags import void_bag
from coopchain.shipments import rules
from coopchain.shipments import services as shipments
from coopchain.shipments.packing import run_end, runs_text, serial_runs
from tests import factories
from tests.shipments.conftest import VALID_CONTAINER, bagged_lot, new_shipment


def refused(call, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert not isinstance(caught.value, Conflict | NotFound)
    return caught.value.fields


def events(db_session, org, kind: str) -> list[LedgerEvent]:
    return list(
        db_session.scalars(
            select(LedgerEvent)
            .where(LedgerEvent.organization_id == org.id, LedgerEvent.kind == kind)
            .order_by(LedgerEvent.seq)
        )
    )


# --- identifiers ------------------------------------------------------------------------------


def test_the_iso_6346_check_digit_of_the_domain_example():
    assert rules.iso6346_check_digit("CSQU305438") == 3
    assert rules.container_number_error("CSQU3054383") is None
    assert rules.container_number_error("CSQU3054384") == "check_digit"
    assert rules.container_number_error("CSQX3054383") == "format"  # category U, J or Z
    # Letter values skip multiples of 11: A=10, K=21, L=23, U=32, V=34, Z=38.
    assert [rules.LETTER_VALUES[c] for c in "AKLUVZ"] == [10, 21, 23, 32, 34, 38]


def test_a_container_number_is_normalised_and_its_check_digit_verified(db_session, org):
    shipment = new_shipment(db_session, org, container_number="csqu 305438-3")
    assert shipment.container_number == VALID_CONTAINER
    errors = refused(new_shipment, db_session, org, container_number="CSQU3054384")
    assert "it should be 3" in errors["container_number"][0]
    errors = refused(new_shipment, db_session, org, container_number="CSQU305438")
    assert "ISO 6346" in errors["container_number"][0]


def test_the_nop_import_certificate_number_has_its_21_character_format(db_session, org):
    shipment = new_shipment(db_session, org, nop_certificate_number="123-1234567890-123456")
    assert shipment.nop_certificate_number == "123-1234567890-123456"
    for wrong in ("123-123456789-1234567", "1231234567890123456", "ABC-1234567890-123456"):
        errors = refused(new_shipment, db_session, org, nop_certificate_number=wrong)
        assert "nop_certificate_number" in errors


def test_incoterms_2020_only_and_ico_marks_in_their_shape(db_session, org):
    assert new_shipment(db_session, org, incoterm="fob").incoterm == "FOB"
    errors = refused(new_shipment, db_session, org, incoterm="FOT", ico_marks="32-1234-0015")
    assert set(errors) == {"incoterm", "ico_marks"}
    assert new_shipment(db_session, org, ico_marks="32/1234/0015").ico_marks == "32/1234/0015"


# --- create and update ------------------------------------------------------------------------


def test_creating_names_every_missing_or_bad_field_at_once(db_session, org):
    errors = refused(
        shipments.create_shipment,
        db_session,
        org.id,
        None,
        {"reference": " ", "crop": "cacao", "buyer_country": "Germany", "incoterm": "FOB"},
    )
    assert set(errors) == {"reference", "crop", "buyer_name", "buyer_country"}


def test_a_reference_is_unique_and_usable_in_a_web_address(db_session, org):
    new_shipment(db_session, org, reference="C-2026-001")
    assert "reference" in refused(new_shipment, db_session, org, reference="C-2026-001")
    assert "reference" in refused(new_shipment, db_session, org, reference="C-2026/002")


def test_a_shipment_is_created_with_its_fields_and_a_ledger_event(db_session, org):
    shipment = new_shipment(
        db_session,
        org,
        reference="C-2026-010",
        buyer_country="de",
        port_of_loading=" Paita ",
        planned_loading_on=date(2026, 9, 1),
        seal_number="SL-778",
    )
    assert (shipment.status, shipment.buyer_country) == ("planned", "DE")
    assert shipment.port_of_loading == "Paita"
    [created] = events(db_session, org, "shipment.created")
    assert created.subject_id == "C-2026-010"
    assert created.payload["data"]["seal_number"] == "SL-778"
    assert created.payload["data"]["planned_loading_on"] == "2026-09-01"


def test_updating_records_the_dds_numbers_and_only_real_changes(db_session, org, shipment):
    shipments.update_shipment(
        db_session,
        org.id,
        None,
        shipment.reference,
        {
            "eudr_dds_reference": "25DEXX1234567",
            "eudr_dds_verification": "ABCD1234",
            "vessel": "MSC Lima",
        },
    )
    assert shipment.eudr_dds_reference == "25DEXX1234567" and shipment.vessel == "MSC Lima"
    shipments.update_shipment(db_session, org.id, None, shipment.reference, {"vessel": "MSC Lima"})
    assert len(events(db_session, org, "shipment.updated")) == 1
    errors = refused(
        shipments.update_shipment,
        db_session,
        org.id,
        None,
        shipment.reference,
        {"buyer_name": "", "container_number": "CSQU3054384"},
    )
    assert set(errors) == {"buyer_name", "container_number"}


def test_another_organisations_shipment_is_not_found(db_session, org, other_org, shipment):
    with pytest.raises(NotFound):
        shipments.get_shipment(db_session, other_org.id, shipment.reference)
    with pytest.raises(NotFound):
        shipments.allocate(db_session, other_org.id, None, shipment.reference, serials=["x"])


# --- status -----------------------------------------------------------------------------------


def test_status_moves_planned_loading_shipped_delivered(db_session, org, green_lot, shipment):
    lot, _bags = green_lot
    shipments.update_shipment(
        db_session, org.id, None, shipment.reference, {"container_number": VALID_CONTAINER}
    )
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    seen = []
    for on in (None, date(2026, 9, 3), date(2026, 10, 1)):
        seen.append(
            shipments.advance_status(db_session, org.id, None, shipment.reference, on).status
        )
    assert seen == ["loading", "shipped", "delivered"]
    assert (shipment.shipped_on, shipment.delivered_on) == (date(2026, 9, 3), date(2026, 10, 1))
    assert shipment.judged_on == date(2026, 9, 3)
    with pytest.raises(Conflict):
        shipments.advance_status(db_session, org.id, None, shipment.reference)
    assert [e.kind for e in events(db_session, org, "shipment.shipped")] == ["shipment.shipped"]


def test_shipping_needs_bags_and_a_container(db_session, org, green_lot, shipment):
    lot, _bags = green_lot
    shipments.advance_status(db_session, org.id, None, shipment.reference)  # loading
    with pytest.raises(Conflict) as caught:
        shipments.advance_status(db_session, org.id, None, shipment.reference)
    assert "bags" in caught.value.message and "container" in caught.value.message
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    with pytest.raises(Conflict) as caught:
        shipments.advance_status(db_session, org.id, None, shipment.reference)
    assert "container" in caught.value.message and "bags" not in caught.value.message
    assert shipment.status == "loading"


# --- allocation -------------------------------------------------------------------------------


def test_a_whole_lot_brings_all_its_free_bags(db_session, org, green_lot, shipment):
    lot, made = green_lot
    added = shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    assert sorted(b.serial for b in added) == sorted(b.serial for b in made)
    totals = shipments.totals_of(db_session, shipment)
    assert (totals.bags, totals.net_kg) == (5, Decimal("345.000"))
    [line] = totals.lines
    assert (line.lot.code, line.bags, line.net_kg) == (lot.code, 5, Decimal("345.000"))
    assert (line.first_serial, line.last_serial) == (made[0].serial, made[-1].serial)
    [event] = events(db_session, org, "shipment.bags_added")
    assert event.event_type == "AggregationEvent" and event.action == "ADD"


def test_individual_bags_by_serial(db_session, org, green_lot, shipment):
    _lot, made = green_lot
    serials = [made[0].serial, made[2].serial]
    added = shipments.allocate(db_session, org.id, None, shipment.reference, serials=serials)
    assert sorted(b.serial for b in added) == serials
    assert shipments.totals_of(db_session, shipment).net_kg == Decimal("138.000")
    # Naming a bag the shipment already has adds nothing and is no error.
    assert shipments.allocate(db_session, org.id, None, shipment.reference, serials=serials) == []


def test_a_bag_on_another_shipment_is_refused_and_nothing_changes(
    db_session, org, green_lot, shipment
):
    lot, made = green_lot
    other = new_shipment(db_session, org)
    shipments.allocate(db_session, org.id, None, other.reference, serials=[made[0].serial])
    errors = refused(
        shipments.allocate,
        db_session,
        org.id,
        None,
        shipment.reference,
        serials=[made[1].serial, made[0].serial, "PE-NOPE-2026-999999"],
    )
    assert any(made[0].serial in m and "another shipment" in m for m in errors["serials"])
    assert any("PE-NOPE-2026-999999" in m for m in errors["serials"])
    assert shipments.totals_of(db_session, shipment).bags == 0
    # The whole lot brings only the bags still free.
    added = shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    assert len(added) == 4 and made[0].shipment_id == other.id


def test_a_voided_bag_cannot_be_allocated(db_session, org, green_lot, shipment):
    _lot, made = green_lot
    void_bag(db_session, org.id, None, made[0].serial, "torn")
    errors = refused(
        shipments.allocate, db_session, org.id, None, shipment.reference, serials=[made[0].serial]
    )
    assert "voided" in errors["serials"][0]


def test_a_lot_of_another_crop_is_refused(db_session, org, shipment):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer, crop="pitahaya")
    factories.agreement(db_session, org, [producer])
    _d, fruit = factories.delivery(db_session, org, producer, plot, product_form="fresh_fruit")
    from coopchain.lots.bags import create_bags

    boxes = create_bags(db_session, org.id, None, fruit.code, 3)
    errors = refused(
        shipments.allocate,
        db_session,
        org.id,
        None,
        shipment.reference,
        lot_codes=[fruit.code],
        serials=[boxes[0].serial],
    )
    assert fruit.code in errors["lot_codes"][0] and boxes[0].serial in errors["serials"][0]
    pitahaya = new_shipment(db_session, org, crop="pitahaya")
    added = shipments.allocate(db_session, org.id, None, pitahaya.reference, lot_codes=[fruit.code])
    assert shipments.totals_of(db_session, pitahaya).net_kg == Decimal("7.500") and len(added) == 3


def test_a_lot_without_free_bags_or_an_empty_request_is_refused(db_session, org, farm, shipment):
    producer, plot = farm
    _d, unbagged = factories.delivery(db_session, org, producer, plot, product_form="green")
    errors = refused(
        shipments.allocate, db_session, org.id, None, shipment.reference, lot_codes=[unbagged.code]
    )
    assert "no free bags" in errors["lot_codes"][0]
    assert "bags" in refused(
        shipments.allocate, db_session, org.id, None, shipment.reference, lot_codes=[" "]
    )


def test_release_puts_bags_back_and_the_totals_follow(db_session, org, green_lot, shipment):
    lot, made = green_lot
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    released = shipments.release(db_session, org.id, None, shipment.reference, [made[1].serial])
    assert [b.serial for b in released] == [made[1].serial] and made[1].shipment_id is None
    totals = shipments.totals_of(db_session, shipment)
    assert (totals.bags, totals.net_kg) == (4, Decimal("276.000"))
    errors = refused(shipments.release, db_session, org.id, None, shipment.reference, ["nope"])
    assert "nope" in errors["serials"][0]
    [event] = events(db_session, org, "shipment.bags_removed")
    assert event.action == "DELETE" and event.payload["data"]["childEPCs"] == [made[1].serial]


def test_after_shipping_the_allocation_is_frozen(db_session, org, farm, green_lot, shipment):
    lot, made = green_lot
    producer, plot = farm
    more, _extra = bagged_lot(db_session, org, producer, plot, 2)
    shipments.update_shipment(
        db_session, org.id, None, shipment.reference, {"container_number": VALID_CONTAINER}
    )
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    shipments.advance_status(db_session, org.id, None, shipment.reference)
    shipments.advance_status(db_session, org.id, None, shipment.reference)
    assert shipment.allocation_frozen
    with pytest.raises(Conflict):
        shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[more.code])
    with pytest.raises(Conflict):
        shipments.release(db_session, org.id, None, shipment.reference, [made[0].serial])
    assert shipments.totals_of(db_session, shipment).bags == 5
    # Descriptive fields stay editable: the DDS numbers arrive after the ship has left.
    shipments.update_shipment(
        db_session, org.id, None, shipment.reference, {"eudr_dds_reference": "25DE1"}
    )
    assert shipment.eudr_dds_reference == "25DE1"


def test_totals_and_lines_across_lots(db_session, org, farm, shipment):
    producer, plot = farm
    first, made_1 = bagged_lot(db_session, org, producer, plot, 3)
    second, made_2 = bagged_lot(db_session, org, producer, plot, 2)
    shipments.allocate(
        db_session,
        org.id,
        None,
        shipment.reference,
        lot_codes=[second.code],
        serials=[made_1[0].serial, made_1[2].serial],
    )
    totals = shipments.totals_of(db_session, shipment)
    assert (totals.bags, totals.net_kg) == (4, Decimal("276.000"))
    assert [(line.lot.code, line.bags) for line in totals.lines] == sorted(
        [(first.code, 2), (second.code, 2)]
    )
    assert [lot.code for lot in shipments.lots_of(db_session, shipment)] == sorted(
        [first.code, second.code]
    )
    assert len(shipments.bags_of(db_session, shipment)) == 4


def test_serial_runs_show_gaps_a_first_last_range_would_hide():
    serials = ["PE-X-2026-000003", "PE-X-2026-000001", "PE-X-2026-000002", "PE-X-2026-000005"]
    assert serial_runs(serials) == [
        ("PE-X-2026-000001", "PE-X-2026-000003"),
        ("PE-X-2026-000005", "PE-X-2026-000005"),
    ]
    assert (
        runs_text(serial_runs(serials)) == "PE-X-2026-000001 – PE-X-2026-000003, PE-X-2026-000005"
    )
    assert serial_runs(["PE-X-2025-999999", "PE-X-2026-000000"]) == [
        ("PE-X-2025-999999", "PE-X-2025-999999"),
        ("PE-X-2026-000000", "PE-X-2026-000000"),
    ]
    assert serial_runs([]) == []
    assert run_end("PE-X-2026-000001", "PE-X-2026-000003") == "000003"
    assert run_end("PE-X-2025-999999", "PE-Y-2026-000000") == "PE-Y-2026-000000"
