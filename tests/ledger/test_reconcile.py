"""The ledger proves the data, not only itself (issue: trust, part 5): replaying the events must
give every delivery, lot, transformation, bag, shipment allocation and certificate as stored,
and a row changed behind the application's back is named."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update

from coopchain.certs import registry
from coopchain.certs.models import Certificate
from coopchain.ledger.reconcile import reconcile
from coopchain.lots import bags, transformations
from coopchain.lots.models import Bag, Delivery, Lot, Transformation
from coopchain.shipments import services as shipments
from tests import factories

#: Certificates render a PDF, which needs the app (templates, translations).
pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def season(db_session, org):
    """A little of everything, written through the services: two deliveries merged, split,
    processed, sampled, bagged, a bag voided, bags on a shipment, a certificate issued and a
    voided delivery."""
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    _d1, lot1 = factories.delivery(db_session, org, producer, plot)
    _d2, lot2 = factories.delivery(db_session, org, producer, plot, gross_kg=Decimal("320.5"))
    voided, _lot3 = factories.delivery(db_session, org, producer, plot)
    from coopchain.lots import services as lots

    lots.void_delivery(db_session, org.id, None, voided.id, "weighed twice")
    day = date(2026, 6, 10)
    merged = transformations.merge(
        db_session, org.id, None, [(lot1.code, None), (lot2.code, Decimal("200"))], day
    )
    (merged_lot,) = transformations.parts_of(db_session, merged)[1]
    split = transformations.split(
        db_session, org.id, None, merged_lot.code, [Decimal("400"), Decimal("300")], day
    )
    first, second = transformations.parts_of(db_session, split)[1]
    processed = transformations.process(
        db_session, org.id, None, first.code, None, "green", Decimal("320"), day, confirm_yield=True
    )
    (green,) = transformations.parts_of(db_session, processed)[1]
    transformations.take_sample(db_session, org.id, None, green.code, Decimal("0.3"), day)
    made = bags.create_bags(db_session, org.id, None, green.code, 4, Decimal("69"))
    bags.void_bag(db_session, org.id, None, made[3].serial, "torn")
    shipment = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "S-REC", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    shipments.allocate(db_session, org.id, None, "S-REC", serials=[b.serial for b in made[:3]])
    shipments.release(db_session, org.id, None, "S-REC", [made[2].serial])
    certificate = registry.issue_certificate(
        db_session,
        org.id,
        None,
        kind="lot",
        reference=green.code,
        override_reason="Test season",
        may_override=True,
    )
    db_session.flush()
    return {
        "lot": lot1,
        "second": second,
        "bag": made[0],
        "free_bag": made[2],
        "shipment": shipment,
        "certificate": certificate,
        "merge": merged,
    }


def test_rows_written_through_the_services_match_their_events(db_session, org, season):
    report = reconcile(db_session, org.id)
    assert report.differences == [], report.differences[:3]
    assert report.rows_checked >= 15


def test_a_deliverys_net_weight_changed_in_the_database_is_named(db_session, org, season):
    delivery_id = season["lot"].delivery_id
    db_session.execute(
        update(Delivery).where(Delivery.id == delivery_id).values(net_kg=Decimal("450"))
    )
    db_session.expire_all()

    first = reconcile(db_session, org.id).differences[0]

    assert first.table == "deliveries" and first.row == str(delivery_id)
    assert first.field == "net_kg" and first.stored == "450.000" and first.expected == "500.000"


def test_a_lots_quantity_and_available_kg_changed_in_the_database_are_named(
    db_session, org, season
):
    code = season["second"].code
    db_session.execute(
        update(Lot)
        .where(Lot.code == code)
        .values(quantity_kg=Decimal("900"), available_kg=Decimal("900"))
    )
    db_session.expire_all()

    found = {(d.table, d.row, d.field) for d in reconcile(db_session, org.id).differences}

    assert ("lots", code, "quantity_kg") in found and ("lots", code, "available_kg") in found


def test_a_bag_moved_to_a_shipment_in_the_database_is_named(db_session, org, season):
    free = season["free_bag"]
    db_session.execute(
        update(Bag).where(Bag.id == free.id).values(shipment_id=season["shipment"].id)
    )
    db_session.expire_all()
    differences = reconcile(db_session, org.id).differences
    assert [(d.table, d.row, d.field) for d in differences] == [("bags", free.serial, "shipment")]


def test_a_revoked_certificate_made_valid_again_in_the_database_is_named(db_session, org, season):
    number = season["certificate"].number
    registry.revoke_certificate(db_session, org.id, None, number, "wrong lot")
    assert reconcile(db_session, org.id).differences == []
    db_session.execute(
        update(Certificate).where(Certificate.number == number).values(status="valid")
    )
    db_session.expire_all()
    differences = reconcile(db_session, org.id).differences
    assert [(d.table, d.row, d.field) for d in differences] == [("certificates", number, "status")]


def test_a_transformations_loss_changed_in_the_database_is_named(db_session, org, season):
    merge = season["merge"]
    db_session.execute(
        update(Transformation).where(Transformation.id == merge.id).values(loss_kg=Decimal("5"))
    )
    db_session.expire_all()
    first = reconcile(db_session, org.id).differences[0]
    assert (first.table, first.row, first.field) == ("transformations", str(merge.id), "loss_kg")


def test_a_row_no_event_speaks_of_is_named(db_session, org, season):
    db_session.add(
        Lot(
            organization_id=org.id,
            code="CAF-26-999999",
            crop="coffee",
            product_form="green",
            quantity_kg=Decimal("1000"),
            available_kg=Decimal("1000"),
            produced_on=date(2026, 6, 1),
        )
    )
    db_session.flush()
    differences = reconcile(db_session, org.id).differences
    assert [(d.table, d.row, d.field) for d in differences] == [("lots", "CAF-26-999999", "(row)")]
    assert "no event" in differences[0].describe()


def test_the_api_and_the_audit_page_report_a_changed_row(
    client, api, login, db_session, org, season
):
    headers = api("auditor")
    assert client.get("/api/v1/ledger/verify", headers=headers).json["ok"] is True
    db_session.execute(
        update(Delivery).where(Delivery.id == season["lot"].delivery_id).values(net_kg=Decimal("1"))
    )
    db_session.expire_all()

    answer = client.get("/api/v1/ledger/verify", headers=headers).json

    assert answer["ok"] is False and answer["first_broken"] is None
    assert [(d["table"], d["field"]) for d in answer["rows_differing"]] == [
        ("deliveries", "net_kg")
    ]
    login("auditor")
    page = client.get("/ledger?verify=1&lang=en").data.decode()
    assert f"deliveries {season['lot'].delivery_id}: net_kg is 1.000" in page


def _share_rows(db_session, lot_id):
    from sqlalchemy import select

    from coopchain.lots.models import LotOriginShare

    return db_session.scalars(
        select(LotOriginShare)
        .where(LotOriginShare.lot_id == lot_id)
        .order_by(LotOriginShare.origin_lot_id)
    ).all()


def test_a_tampered_origin_share_is_named_against_the_recomputation(db_session, org, season):
    from coopchain.lots.models import LotOriginShare

    merged = transformations.parts_of(db_session, season["merge"])[1][0]
    first, second = _share_rows(db_session, merged.id)
    # Merged from 500 kg of one delivery and 200 kg of the other: 5/7 and 2/7.
    assert (first.share_num, first.share_den, second.share_num) == ("5", "7", "2")
    db_session.execute(
        update(LotOriginShare)
        .where(
            LotOriginShare.lot_id == merged.id,
            LotOriginShare.origin_lot_id == first.origin_lot_id,
        )
        .values(share_num="6")
    )
    db_session.expire_all()
    differences = reconcile(db_session, org.id).differences
    origin_code = db_session.get(Lot, first.origin_lot_id).code
    assert [(d.table, d.row, d.field, d.stored, d.expected) for d in differences] == [
        ("lot_origin_shares", f"{merged.code} {origin_code}", "share", "6/7", "5/7")
    ]
    assert "recomputed from the genealogy 5/7" in differences[0].describe()


def test_origin_grams_that_no_longer_add_up_are_named(db_session, org, season):
    """The grams stored with a share are what origins_of shows as kilograms: a gram moved
    from one delivery to another keeps the lot's total but not the truth."""
    from coopchain.lots.models import LotOriginShare

    merged = transformations.parts_of(db_session, season["merge"])[1][0]
    first, second = _share_rows(db_session, merged.id)
    # 700 kg merged from 500 kg and 200 kg.
    assert (first.share_g, second.share_g) == (500_000, 200_000)
    for row, grams in ((first, 499_999), (second, 200_001)):
        db_session.execute(
            update(LotOriginShare)
            .where(
                LotOriginShare.lot_id == merged.id,
                LotOriginShare.origin_lot_id == row.origin_lot_id,
            )
            .values(share_g=grams)
        )
    db_session.expire_all()
    differences = reconcile(db_session, org.id).differences
    codes = [db_session.get(Lot, row.origin_lot_id).code for row in (first, second)]
    assert [(d.row, d.field, d.stored, d.expected) for d in differences] == [
        (f"{merged.code} {codes[0]}", "grams", "499999", "500000"),
        (f"{merged.code} {codes[1]}", "grams", "200001", "200000"),
    ]


def test_a_deleted_origin_share_is_named(db_session, org, season):
    from sqlalchemy import delete

    from coopchain.lots.models import LotOriginShare

    green_id = season["bag"].lot_id
    (row,) = _share_rows(db_session, green_id)[:1]
    db_session.execute(
        delete(LotOriginShare).where(
            LotOriginShare.lot_id == green_id, LotOriginShare.origin_lot_id == row.origin_lot_id
        )
    )
    db_session.expire_all()
    differences = reconcile(db_session, org.id).differences
    assert [(d.table, d.field, d.stored, d.expected) for d in differences] == [
        ("lot_origin_shares", "(row)", None, "present")
    ]
    assert "no row holds it" in differences[0].describe()
