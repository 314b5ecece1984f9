"""Paying producers: payments and what each pays for, settlements by traced kilograms,
premium rules, member debts and the collective premium fund (DOMAIN.md §11).

Money is Decimal to the cent with its currency (ISO 4217); a conversion keeps its rate and day.
Nothing here is edited or deleted once written: a mistake is voided with a reason, and every
write is a ledger event (EPCIS TransactionEvent with the payment as a bizTransaction).
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime

#: Amounts to the cent; rates and unit prices finer.
MONEY = Numeric(14, 2)
UNIT_PRICE = Numeric(14, 4)
RATE = Numeric(16, 6)


class PaymentMethod(StrEnum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    YAPE = "yape"
    PLIN = "plin"


class AllocationKind(StrEnum):
    #: Paid at intake, on account of the delivery's value.
    ADVANCE = "advance"
    #: The rest of the delivery's value (net kg × price), paid in a run.
    BALANCE = "balance"
    #: The delivery's share of a shipment's settlement (second payment).
    SETTLEMENT = "settlement"
    #: A premium earned by the delivery (organic, quality, sustainability differential, women's).
    PREMIUM = "premium"
    #: Recovered from the payment: a debt instalment or the cooperative's retention (negative).
    DEDUCTION = "deduction"


class Payment(SQLModel, table=True):
    """Money handed to one producer at one time, by one method."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("organization_id", "number"),
        UniqueConstraint("receipt_token"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: Printed on the receipt: PAY-<ORG>-<YEAR>-<6 digits>.
    number: str = Field(max_length=40)
    producer_id: int = Field(foreign_key="producers.id", index=True)
    #: The run that made it (None: an advance at intake or a payment on its own).
    run_id: int | None = Field(default=None, foreign_key="payment_runs.id", index=True)
    #: What was handed over: the sum of its allocations, never negative.
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(default="PEN", max_length=3)
    method: str = Field(max_length=20)
    #: The 20-digit interbank account code a transfer went to (DOMAIN.md §11).
    cci: str | None = Field(default=None, max_length=20)
    #: Yape/Plin phone, bank operation number…
    reference: str | None = Field(default=None, max_length=60)
    paid_on: date
    #: Unguessable: the receipt's QR opens /r/<token> (amount, date, cooperative; no names).
    receipt_token: str = Field(max_length=32)
    notes: str | None = Field(default=None, max_length=500)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class PaymentAllocation(SQLModel, table=True):
    """One line of a payment: what it pays (or deducts) and for which delivery."""

    __tablename__ = "payment_allocations"

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payments.id", index=True)
    #: None for lines that belong to no delivery (a debt instalment, a premium per producer).
    delivery_id: int | None = Field(default=None, foreign_key="deliveries.id", index=True)
    kind: str = Field(max_length=20)
    #: Positive for what the producer is paid, negative for a deduction.
    amount: Decimal = Field(sa_type=MONEY)
    premium_rule_id: int | None = Field(default=None, foreign_key="premium_rules.id")
    debt_id: int | None = Field(default=None, foreign_key="producer_debts.id")
    settlement_id: int | None = Field(default=None, foreign_key="settlements.id")
    description: str | None = Field(default=None, max_length=200)


class PaymentRun(SQLModel, table=True):
    """A treasurer's batch: the deliveries chosen, previewed, then confirmed into payments."""

    __tablename__ = "payment_runs"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    number: str = Field(max_length=40)
    #: How the deliveries were chosen: {"from", "to"} | {"producer_id"} | {"shipment"}.
    selection: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    currency: str = Field(default="PEN", max_length=3)
    paid_on: date
    method: str = Field(max_length=20)
    #: Gross, advances, premiums, deductions and net, as confirmed (for the run's page).
    totals: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class PremiumKind(StrEnum):
    ORGANIC = "organic"
    QUALITY = "quality"
    #: Rainforest Alliance Sustainability Differential and similar cash premiums (per kg).
    SUSTAINABILITY_DIFFERENTIAL = "sustainability_differential"
    WOMENS = "womens"
    #: The cooperative's retention per kg: a deduction, not a premium.
    RETENTION = "retention"


class PremiumRule(SQLModel, table=True):
    """A per-kg amount an admin configures; which deliveries earn it depends on its kind."""

    __tablename__ = "premium_rules"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    name: str = Field(max_length=120)
    kind: str = Field(max_length=40)
    crop: str | None = Field(default=None, max_length=20)
    product_form: str | None = Field(default=None, max_length=20)
    #: Per kg of the delivered product form, in `currency`.
    amount_per_kg: Decimal = Field(sa_type=UNIT_PRICE)
    currency: str = Field(default="PEN", max_length=3)
    #: Quality premiums: the score band [min_score, max_score) of the lot's cupping.
    min_score: Decimal | None = Field(default=None, sa_type=Numeric(5, 2))
    max_score: Decimal | None = Field(default=None, sa_type=Numeric(5, 2))
    valid_from: date
    valid_until: date | None = None
    user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: Rules are ended, never deleted: payments made under them still name them.
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DebtKind(StrEnum):
    LOAN = "loan"
    INPUT_CREDIT = "input_credit"


class ProducerDebt(SQLModel, table=True):
    """A loan or input credit to a member, recovered from payments by its schedule."""

    __tablename__ = "producer_debts"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    producer_id: int = Field(foreign_key="producers.id", index=True)
    kind: str = Field(max_length=20)
    principal: Decimal = Field(sa_type=MONEY)
    currency: str = Field(default="PEN", max_length=3)
    granted_on: date
    description: str = Field(max_length=300)
    #: Instalments: [{"due_on": "2026-07-31", "amount": "150.00"}, …], summing to principal.
    schedule: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class Settlement(SQLModel, table=True):
    """The final price of a sold shipment, distributed to the deliveries by the kilograms each
    contributed (traced lineage), to the cent by largest remainder."""

    __tablename__ = "settlements"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    #: The sale price as agreed, e.g. 3.2500 USD per lb of green coffee.
    price: Decimal = Field(sa_type=UNIT_PRICE)
    price_currency: str = Field(max_length=3)
    #: "lb" or "kg" of the shipped (green) product.
    price_unit: str = Field(max_length=5)
    #: Price currency → payment currency on `rate_on` (1 when they are the same).
    exchange_rate: Decimal = Field(sa_type=RATE)
    rate_on: date
    #: Costs deducted per kg of the shipped product (freight, milling…), in payment currency.
    costs_per_kg: Decimal = Field(default=Decimal("0"), sa_type=UNIT_PRICE)
    currency: str = Field(default="PEN", max_length=3)
    #: What is distributed to the deliveries, in `currency`.
    total: Decimal = Field(sa_type=MONEY)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class SettlementLine(SQLModel, table=True):
    """One delivery's share of a settlement: its traced kilograms and its amount."""

    __tablename__ = "settlement_lines"

    id: int | None = Field(default=None, primary_key=True)
    settlement_id: int = Field(foreign_key="settlements.id", index=True)
    delivery_id: int = Field(foreign_key="deliveries.id", index=True)
    producer_id: int = Field(foreign_key="producers.id", index=True)
    #: Kilograms of the delivered form that reached the shipment (yields applied back).
    kg: Decimal = Field(sa_type=Numeric(12, 3))
    amount: Decimal = Field(sa_type=MONEY)


class FundEntryKind(StrEnum):
    INCOME = "income"
    USE = "use"


class FundEntry(SQLModel, table=True):
    """The Fairtrade Premium fund: income paid to the organisation and its uses by the
    members' premium plan. A collective fund, never a payment to one member (DOMAIN.md §11)."""

    __tablename__ = "fund_entries"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    fund: str = Field(default="fairtrade_premium", max_length=40)
    kind: str = Field(max_length=10)
    amount: Decimal = Field(sa_type=MONEY)
    currency: str = Field(max_length=3)
    exchange_rate: Decimal | None = Field(default=None, sa_type=RATE)
    occurred_on: date
    #: The premium plan line a use belongs to (e.g. "productivity and quality").
    plan_item: str | None = Field(default=None, max_length=120)
    description: str = Field(max_length=300)
    shipment_id: int | None = Field(default=None, foreign_key="shipments.id")
    user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)
