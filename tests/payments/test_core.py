"""Recording and voiding payments: the rules every payment obeys (issue: paying producers)."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from coopchain.errors import Conflict, DomainError
from coopchain.farms.models import Producer
from coopchain.ledger.models import LedgerEvent
from coopchain.payments import core
from coopchain.payments.core import Line
from coopchain.payments.models import Payment, PaymentAllocation
from tests import factories
from tests.payments.conftest import set_price

D = Decimal
PAID_ON = date(2026, 6, 2)
GOOD_CCI = "002-193-001234567890-12"


def _pay(session, org, delivery, amount, kind="advance", **options):
    options.setdefault("method", "cash")
    options.setdefault("paid_on", PAID_ON)
    return core.record_payment(
        session,
        org.id,
        None,
        producer_id=options.pop("producer_id", delivery.producer_id),
        lines=[Line(kind=kind, amount=D(amount), delivery_id=delivery.id)],
        **options,
    )


def _counts(session):
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Payment, PaymentAllocation, LedgerEvent)
    )


def _refused(session, field, call):
    before = _counts(session)
    with pytest.raises(DomainError) as refused:
        call()
    assert field in refused.value.fields, refused.value.fields
    assert _counts(session) == before
    return refused.value


def test_value_per_kg_and_per_quintal_to_the_cent():
    per_kg = SimpleNamespace(
        net_kg=D("500.5"), price_entered=None, price_unit="kg", price_per_kg=D("14.23")
    )
    assert core.delivery_value(per_kg) == D("7122.12")  # 7122.115 rounds half up
    per_qq = SimpleNamespace(
        net_kg=D("100"), price_entered=D("600"), price_unit="qq", price_per_kg=D("13.04")
    )
    # 100 / 46 × 600 = 1304.3478…, not 100 × 13.04 = 1304.00
    assert core.delivery_value(per_qq) == D("1304.35")
    one_qq = SimpleNamespace(
        net_kg=D("46"), price_entered=D("600"), price_unit="qq", price_per_kg=D("13.04")
    )
    assert core.delivery_value(one_qq) == D("600.00")
    unpriced = SimpleNamespace(
        net_kg=D("46"), price_entered=None, price_unit="kg", price_per_kg=None
    )
    assert core.delivery_value(unpriced) is None


def test_outstanding_falls_by_advances_and_rises_when_voided(db_session, org, priced):
    assert core.outstanding(db_session, org.id, [priced.id]) == {priced.id: D("7000.00")}
    payment = _pay(db_session, org, priced, "1500.50")
    assert core.outstanding(db_session, org.id, [priced.id]) == {priced.id: D("5499.50")}
    core.void_payment(db_session, org.id, None, payment.number, "wrong producer")
    assert core.outstanding(db_session, org.id, [priced.id]) == {priced.id: D("7000.00")}


def test_quintal_priced_delivery_is_owed_its_quintal_value(db_session, org, priced):
    set_price(db_session, priced, "644", "qq")  # 500 kg = 10.869… qq
    assert core.outstanding(db_session, org.id, [priced.id]) == {priced.id: D("7000.00")}


def test_payment_above_outstanding_is_refused_and_writes_nothing(db_session, org, priced):
    _pay(db_session, org, priced, "6000")
    error = _refused(db_session, "amount", lambda: _pay(db_session, org, priced, "1000.01"))
    assert "1000.00" in error.fields["amount"][0]
    _refused(db_session, "amount", lambda: _pay(db_session, org, priced, "1000.01", "balance"))
    assert _pay(db_session, org, priced, "1000.00", "balance").amount == D("1000.00")
    assert core.outstanding(db_session, org.id, [priced.id]) == {priced.id: D("0.00")}


def test_advance_on_account_may_exceed_outstanding(db_session, org, priced):
    payment = _pay(db_session, org, priced, "8000", on_account=True)
    assert payment.amount == D("8000.00")
    assert core.outstanding(db_session, org.id, [priced.id]) == {priced.id: D("0.00")}
    # on_account covers advances only, never a balance
    _refused(
        db_session, "amount", lambda: _pay(db_session, org, priced, "1", "balance", on_account=True)
    )


@pytest.mark.parametrize("amount", ["0", "-5", "10.005"])
def test_zero_negative_or_sub_cent_amounts_are_refused(db_session, org, priced, amount):
    _refused(db_session, "amount", lambda: _pay(db_session, org, priced, amount))


def test_unknown_currency_and_method_are_refused(db_session, org, priced):
    _refused(db_session, "currency", lambda: _pay(db_session, org, priced, "10", currency="XYZ"))
    _refused(db_session, "method", lambda: _pay(db_session, org, priced, "10", method="cheque"))


def test_bank_transfer_needs_a_well_formed_cci(db_session, org, priced):
    _refused(db_session, "cci", lambda: _pay(db_session, org, priced, "10", method="bank_transfer"))
    _refused(
        db_session,
        "cci",
        lambda: _pay(db_session, org, priced, "10", method="bank_transfer", cci="0021930012345"),
    )
    payment = _pay(db_session, org, priced, "10", method="bank_transfer", cci=GOOD_CCI)
    assert payment.cci == "00219300123456789012"


def test_bank_transfer_uses_the_producers_cci(db_session, org, priced):
    producer = db_session.get(Producer, priced.producer_id)
    producer.cci = "00219300123456789012"
    db_session.flush()
    assert _pay(db_session, org, priced, "10", method="bank_transfer").cci == producer.cci


def test_delivery_of_another_producer_or_organisation_is_refused(
    db_session, org, other_org, priced
):
    someone = factories.producer(db_session, org)
    _refused(
        db_session,
        "delivery_id",
        lambda: _pay(db_session, org, priced, "10", producer_id=someone.id),
    )
    stranger = factories.producer(db_session, other_org)
    plot = factories.plot(db_session, other_org, stranger)
    factories.agreement(db_session, other_org, [stranger])
    theirs, _ = factories.delivery(db_session, other_org, stranger, plot)
    _refused(
        db_session,
        "delivery_id",
        lambda: core.record_payment(
            db_session,
            org.id,
            None,
            producer_id=priced.producer_id,
            lines=[Line(kind="advance", amount=D("10"), delivery_id=theirs.id)],
            method="cash",
            paid_on=PAID_ON,
        ),
    )


def test_voiding_twice_is_a_conflict(db_session, org, priced):
    payment = _pay(db_session, org, priced, "100")
    _refused(
        db_session,
        "reason",
        lambda: core.void_payment(db_session, org.id, None, payment.number, " "),
    )
    core.void_payment(db_session, org.id, None, payment.number, "duplicate")
    with pytest.raises(Conflict):
        core.void_payment(db_session, org.id, None, payment.number, "again")


def test_ledger_events_are_transaction_events_naming_the_payment(db_session, org, priced):
    payment = _pay(db_session, org, priced, "250.75")
    assert payment.number.startswith(f"PAY-{org.code}-2026-")
    assert len(payment.number.rsplit("-", 1)[1]) == 6
    assert len(payment.receipt_token) >= 22
    core.void_payment(db_session, org.id, None, payment.number, "typo")
    events = db_session.scalars(
        select(LedgerEvent)
        .where(LedgerEvent.subject_type == "payment", LedgerEvent.subject_id == payment.number)
        .order_by(LedgerEvent.seq)
    ).all()
    assert [(e.kind, e.event_type, e.action) for e in events] == [
        ("payment.recorded", "TransactionEvent", "ADD"),
        ("payment.voided", "TransactionEvent", "DELETE"),
    ]
    recorded = events[0].payload["data"]
    assert recorded["bizTransactionList"][0]["bizTransaction"] == payment.number
    assert recorded["amount"] == "250.75"
    second = _pay(db_session, org, priced, "1")
    assert int(second.number[-6:]) == int(payment.number[-6:]) + 1


def test_cci_structure():
    assert core.valid_cci(" 002 193 001234567890 12 ") == "00219300123456789012"
    for bad in ("", "0021930012345678901", "0021930012345678901A", "002193001234567890123"):
        with pytest.raises(DomainError) as refused:
            core.valid_cci(bad)
        assert "cci" in refused.value.fields
