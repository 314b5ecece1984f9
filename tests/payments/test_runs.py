"""Payment runs: the preview adds up to the cent, confirming pays each producer once."""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from coopchain.errors import Conflict, DomainError
from coopchain.ledger.reconcile import reconcile
from coopchain.payments import core, debts, runs
from coopchain.payments.bank_file import bank_transfer_xlsx
from coopchain.payments.models import Payment, PaymentAllocation
from tests import factories
from tests.payments.season import CCI, PAID_ON, PERIOD, make_season


@pytest.fixture
def season(db_session, org):
    return make_season(db_session, org)


def test_preview_shows_each_producers_balance_premium_and_deductions(db_session, org, season):
    rosa, juan, _d1, _d2 = season
    found = runs.preview(db_session, org.id, PERIOD, PAID_ON)
    by = {row.producer.id: row for row in found.rows}
    r, j = by[rosa.id], by[juan.id]
    # Rosa: 500 × 14 = 7,000; advance 1,000; organic 500 × 0.40 = 200; retention 25;
    # the July instalment of 100 (December's is not due yet).
    assert (r.gross, r.paid_before, r.outstanding) == (
        Decimal("7000.00"),
        Decimal("1000.00"),
        Decimal("6000.00"),
    )
    assert (r.premiums, r.deductions, r.net) == (
        Decimal("200.00"),
        Decimal("-125.00"),
        Decimal("6075.00"),
    )
    # Juan: 250.5 × 13.50 = 3,381.75; retention 250.5 × 0.05 = 12.525 → 12.53.
    assert (j.outstanding, j.premiums, j.deductions, j.net) == (
        Decimal("3381.75"),
        Decimal("0.00"),
        Decimal("-12.53"),
        Decimal("3369.22"),
    )
    assert found.totals()["net"] == "9444.22"


def test_confirm_pays_once_and_a_second_run_finds_nothing(db_session, org, season):
    rosa, _juan, d1, d2 = season
    run = runs.confirm(db_session, org.id, None, PERIOD, PAID_ON, "PEN", "bank_transfer")
    paid = runs.run_payments(db_session, org.id, run.id)
    assert sorted((p.amount, p.cci, p.run_id) for p, _ in paid) == [
        (Decimal("3369.22"), "00310200987654321098", run.id),
        (Decimal("6075.00"), CCI, run.id),
    ]
    assert sum(p.amount for p, _ in paid) == Decimal(run.totals["net"])
    assert core.outstanding(db_session, org.id, [d1.id, d2.id]) == {
        d1.id: Decimal("0.00"),
        d2.id: Decimal("0.00"),
    }
    with pytest.raises(Conflict):
        runs.confirm(db_session, org.id, None, PERIOD, PAID_ON, "PEN", "bank_transfer")
    # Premiums and retention are not paid again either.
    again = runs.preview(db_session, org.id, PERIOD, PAID_ON)
    assert all(row.net == 0 and row.premiums == 0 for row in again.rows)
    rosa_debt = debts.debts_of(db_session, org.id, rosa.id)[0]
    assert rosa_debt[1] == Decimal("100.00")
    # The ledger replays to the same payments (the trust issue's reconciliation).
    assert reconcile(db_session, org.id).differences == []


def test_a_deduction_never_takes_a_payment_below_zero(db_session, org, season):
    rosa, _juan, d1, _d2 = season
    debts.record_debt(
        db_session,
        org.id,
        None,
        rosa.id,
        {
            "kind": "input_credit",
            "principal": "9000.00",
            "granted_on": "2026-04-01",
            "description": "Tools",
            "schedule": [{"due_on": "2026-07-01", "amount": "9000.00"}],
        },
    )
    row = runs.preview(db_session, org.id, {"producer_id": rosa.id}, PAID_ON).rows[0]
    assert row.net == Decimal("0.00") and row.deductions == Decimal("-6200.00")


def test_bank_file_lists_cci_amount_and_reference(db_session, org, season):
    run = runs.confirm(db_session, org.id, None, PERIOD, PAID_ON, "PEN", "bank_transfer")
    data = bank_transfer_xlsx(run.number, runs.run_payments(db_session, org.id, run.id))
    rows = list(load_workbook(BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][2] == "CCI" and len(rows) == 3
    assert {row[2] for row in rows[1:]} == {CCI, "00310200987654321098"}
    assert sum(Decimal(str(row[3])) for row in rows[1:]) == Decimal("9444.22")
    assert all(row[5].startswith("PAY-") for row in rows[1:])


def test_an_unknown_shipment_is_refused_by_name(db_session, org, season):
    with pytest.raises(DomainError) as raised:
        runs.read_selection(db_session, org.id, {"shipment": "NOPE-1"})
    assert "shipment" in raised.value.fields


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"from": "2026-06-01", "to": "2026-05-01", "paid_on": "2026-07-01"}, "to"),
        ({**PERIOD, "paid_on": "2026-07-01", "currency": "XYZ"}, "currency"),
        ({**PERIOD, "paid_on": "2026-07-01", "currency": "USD"}, "currency"),
        ({**PERIOD, "paid_on": ""}, "paid_on"),
        ({**PERIOD, "paid_on": "2026-07-01", "method": "cheque"}, "method"),
        ({"producer_id": "999999", "paid_on": "2026-07-01"}, "producer_id"),
    ],
)
def test_bad_run_input_names_the_field_and_pays_nothing(db_session, org, season, data, field):
    before = db_session.scalar(select(func.count(Payment.id)))
    with pytest.raises(DomainError) as raised:
        runs.read_run_input(db_session, org.id, data)
    assert field in raised.value.fields
    assert db_session.scalar(select(func.count(Payment.id))) == before
    assert db_session.scalar(select(func.count(PaymentAllocation.id))) == 1


def test_shipment_selection_takes_the_deliveries_traced_into_its_bags(db_session, org):
    from coopchain.lots import bags
    from coopchain.shipments import services as shipments

    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    shipped, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    factories.delivery(db_session, org, producer, plot, product_form="green")  # not shipped
    bags.create_bags(db_session, org.id, None, lot.code, 1)
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "HH-1", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    shipments.allocate(db_session, org.id, None, "HH-1", lot_codes=[lot.code])
    selection = runs.read_selection(db_session, org.id, {"shipment": "HH-1"})
    assert [d.id for d in runs.chosen_deliveries(db_session, org.id, selection)] == [shipped.id]
    row = runs.preview(db_session, org.id, selection, PAID_ON).rows[0]
    assert row.outstanding == Decimal("7000.00")  # 500 kg × S/ 14, the shipped delivery only


def test_voiding_a_runs_payment_makes_its_balance_and_premiums_payable_again(
    db_session, org, season
):
    rosa, _juan, d1, _d2 = season
    run = runs.confirm(db_session, org.id, None, PERIOD, PAID_ON, "PEN", "cash")
    rosas = next(
        p for p, producer in runs.run_payments(db_session, org.id, run.id) if producer.id == rosa.id
    )
    core.void_payment(db_session, org.id, None, rosas.number, "Wrong account")
    row = next(
        r
        for r in runs.preview(db_session, org.id, PERIOD, PAID_ON).rows
        if r.producer.id == rosa.id
    )
    assert (row.outstanding, row.premiums, row.net) == (
        Decimal("6000.00"),
        Decimal("200.00"),
        Decimal("6075.00"),
    )
    assert core.outstanding(db_session, org.id, [d1.id])[d1.id] == Decimal("6000.00")


def test_a_debt_that_takes_the_whole_net_is_still_recovered_and_the_delivery_settled(
    db_session, org, season
):
    """Net exactly zero: the balance is paid by offsetting the debt. Before, no payment was
    recorded, so the delivery stayed owed and the debt unrecovered, run after run."""
    _rosa, juan, _d1, d2 = season
    loan = debts.record_debt(
        db_session,
        org.id,
        None,
        juan.id,
        {
            "kind": "loan",
            "principal": "5000.00",
            "granted_on": "2026-03-01",
            "description": "Beneficio húmedo",
            "schedule": [{"due_on": "2026-07-01", "amount": "5000.00"}],
        },
    )
    found = runs.preview(db_session, org.id, PERIOD, PAID_ON)
    row = next(r for r in found.rows if r.producer.id == juan.id)
    assert row.net == Decimal("0.00") and row in found.payable
    run = runs.confirm(db_session, org.id, None, PERIOD, PAID_ON, "PEN", "bank_transfer")
    paid = {p.producer_id: p for p, _ in runs.run_payments(db_session, org.id, run.id)}
    assert paid[juan.id].amount == Decimal("0.00")
    assert core.outstanding(db_session, org.id, [d2.id]) == {d2.id: Decimal("0.00")}
    recovered = dict((debt.id, got) for debt, got in debts.debts_of(db_session, org.id, juan.id))
    # His balance of 3,381.75 less the retention of 12.53, taken first.
    assert recovered[loan.id] == Decimal("3369.22")
    payments = runs.run_payments(db_session, org.id, run.id)
    book = load_workbook(BytesIO(bank_transfer_xlsx(run.number, payments)))
    listed = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert juan.member_code not in listed  # nothing to transfer


def test_a_payment_of_zero_needs_a_deduction_to_offset(db_session, org, season):
    _rosa, juan, _d1, _d2 = season
    with pytest.raises(DomainError):
        core.record_payment(
            db_session,
            org.id,
            None,
            producer_id=juan.id,
            method="cash",
            paid_on=PAID_ON,
            lines=[],
        )
