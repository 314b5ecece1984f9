"""The demo carries a season of payments (issue: paying producers, "Done means"): advances at
the scale, a run after each month, premiums and deductions in those runs, and the Fairtrade
Premium in the collective fund."""

from decimal import Decimal

from sqlalchemy import func, select

from coopchain.auth.models import Organization
from coopchain.clock import today
from coopchain.demo.calendar import calendar_for
from coopchain.lots.models import Delivery
from coopchain.payments import core, fund
from coopchain.payments.models import AllocationKind, Payment, PaymentAllocation, PaymentRun
from coopchain.payments.reports import owed_report, premiums_report
from coopchain.payments.statement import producer_statement

CALENDAR = calendar_for(today())


def _coffee(db_session) -> Organization:
    return db_session.scalar(select(Organization).where(Organization.code == "COOPAM"))


def _kinds_paid(db_session, org_id) -> dict[str, Decimal]:
    rows = db_session.execute(
        select(PaymentAllocation.kind, func.sum(PaymentAllocation.amount))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.organization_id == org_id, Payment.voided_at.is_(None))
        .group_by(PaymentAllocation.kind)
    )
    return {kind: Decimal(total) for kind, total in rows}


def test_every_month_of_the_harvest_is_paid_in_a_run_and_nothing_is_paid_twice(db_session):
    coffee = _coffee(db_session)
    run_count = db_session.scalar(
        select(func.count()).where(PaymentRun.organization_id == coffee.id)
    )
    # April to September, each paid on the 10th of the next month: all before the pinned day.
    assert run_count == 6
    delivered = db_session.scalars(
        select(Delivery).where(Delivery.organization_id == coffee.id, Delivery.voided_at.is_(None))
    ).all()
    owed = core.outstanding(db_session, coffee.id, [d.id for d in delivered])
    assert owed and set(owed.values()) == {Decimal("0.00")}
    paid = _kinds_paid(db_session, coffee.id)
    assert paid[AllocationKind.ADVANCE.value] > 0
    assert paid[AllocationKind.ADVANCE.value] + paid[AllocationKind.BALANCE.value] == sum(
        core.delivery_value(d) for d in delivered
    )
    assert paid[AllocationKind.PREMIUM.value] > 0
    # The cooperative's retention and the fertiliser instalments are recovered (negative).
    assert paid[AllocationKind.DEDUCTION.value] < 0


def test_a_member_statement_shows_advances_premiums_deductions_and_a_zero_balance(db_session):
    coffee = _coffee(db_session)
    report = owed_report(db_session, coffee.id, CALENDAR.harvest_year)
    assert report
    debtor = next(row for row in report if row.member_code == "CAF-0001")
    statement = producer_statement(db_session, coffee.id, debtor.producer_id, CALENDAR.harvest_year)
    kinds = {line.kind for line in statement.lines}
    assert {"delivery", "balance", "premium", "deduction"} <= kinds
    fertiliser = [line for line in statement.lines if line.kind == "deduction"]
    assert any("Guano" in (line.description or "") for line in fertiliser)
    assert statement.balance == Decimal("0.00")


def test_the_season_premiums_are_reported_for_the_certifier(db_session):
    rows = premiums_report(db_session, _coffee(db_session).id)
    kinds = {row.kind for row in rows if row.season == CALENDAR.harvest_year}
    assert {"organic", "womens"} <= kinds


def test_the_fairtrade_premium_is_income_to_the_fund_not_a_member_payment(db_session):
    assert fund.balances(db_session, _coffee(db_session).id)["USD"] == Decimal("1500.00")
