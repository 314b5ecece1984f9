"""Filing a shipment's statement(s) with the EU Information System, and keeping what comes
back: the uuid of each part, its status, and the reference and verification numbers, which go
onto the shipment (and from there onto the certificate, the packing list and the public bag
page). Every call that changes something is a ledger event.

Amending and withdrawing are allowed only within 72 hours of submission (DOMAIN.md §8); the
clock is the cooperative's (coopchain/clock.py). The SOAP client is passed in (client_for
builds the real one from the account), so services never open a connection on their own.
"""

from datetime import timedelta

from flask_babel import gettext as _
from sqlmodel import Session

from coopchain.clock import utcnow
from coopchain.db import owned, settings_of
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.eudr.accounts import auth_key_of, get_account
from coopchain.eudr.models import DdsStatement
from coopchain.eudr.soap import DdsClient, EudrServiceError
from coopchain.eudr.statements import shipment_statements
from coopchain.ledger.services import append
from coopchain.shipments.models import Shipment
from coopchain.shipments.services import get_shipment, update_shipment

#: Amend or withdraw only within 72 hours of submission (DOMAIN.md §8).
AMEND_WINDOW = timedelta(hours=72)
#: Statuses after which nothing more happens to a statement.
CLOSED = {"WITHDRAWN", "REJECTED", "CANCELLED"}
#: The shipment's DDS fields hold at most this many characters (Shipment model).
_FIELD_MAX = 60


def client_for(session: Session, org_id: int, post=None) -> DdsClient:
    """The SOAP client for the organisation's account; refuses when credentials are missing."""
    account = get_account(session, org_id)
    key = auth_key_of(session, account) if account else None
    if not account or not account.username or not account.client_id or not key:
        raise DomainError(
            _(
                "The EU Information System credentials are not set (or were stored under "
                "another SECRET_KEY): an admin enters them under EUDR settings."
            ),
            {"credentials": [_("Required.")]},
        )
    settings = settings_of(session)
    extra = {"post": post} if post else {}
    return DdsClient(
        base_url=settings.eudr_base_urls[account.environment],
        username=account.username,
        key=key,
        client_id=account.client_id,
        clock=utcnow,
        timeout=settings.eudr_timeout_s,
        **extra,
    )


def statements_of(session: Session, org_id: int, shipment: Shipment) -> list[DdsStatement]:
    return list(
        session.scalars(
            owned(DdsStatement, org_id)
            .where(DdsStatement.shipment_id == shipment.id)
            .order_by(DdsStatement.submitted_at, DdsStatement.part, DdsStatement.id)
        )
    )


def _live(rows: list[DdsStatement]) -> list[DdsStatement]:
    return [row for row in rows if row.status not in CLOSED]


def submit(session: Session, org_id: int, user_id, reference: str, client: DdsClient):
    """Submit every part of the shipment's statement; refuses while live ones exist."""
    shipment, plan = shipment_statements(session, org_id, reference)
    refuse_while_filed(session, org_id, shipment)
    rows: list[DdsStatement] = []
    count = len(plan.statements)
    for number, statement in enumerate(plan.statements, start=1):
        try:
            uuid = client.submit_dds(statement)
        except EudrServiceError as exc:
            if not rows:
                raise
            # The request rolls back, so say which parts the EU already holds: they must be
            # withdrawn there (or filed again here only after that).
            raise EudrServiceError(
                _(
                    "Part %(part)s was refused (%(reason)s); the EU already holds parts "
                    "%(filed)s: withdraw them in the EU system before filing again.",
                    part=number,
                    reason=exc.message,
                    filed=parts_text((r.part, r.uuid) for r in rows),
                )
            ) from None
        rows.append(
            record_part(session, org_id, user_id, shipment, (number, count), statement, uuid)
        )
    record_submitted(session, org_id, user_id, shipment, rows, plan.split_reasons)
    return rows


def refuse_while_filed(session: Session, org_id: int, shipment: Shipment, job_id=None) -> None:
    """Conflict while a statement of the shipment is live (parts filed by the job `job_id`,
    resuming, are its own)."""
    live = _live(statements_of(session, org_id, shipment))
    if any(job_id is None or row.job_id != job_id for row in live):
        raise Conflict(
            _("This shipment's statement is already filed: withdraw it before filing again.")
        )


def record_part(
    session: Session,
    org_id: int,
    user_id,
    shipment,
    part: tuple[int, int],
    statement,
    uuid,
    job_id=None,
) -> DdsStatement:
    """The row of a part the EU accepted (`part`: its number and the number of parts)."""
    row = DdsStatement(
        organization_id=org_id,
        shipment_id=shipment.id,
        part=part[0],
        part_count=part[1],
        internal_reference=statement["statement"]["internalReferenceNumber"],
        uuid=uuid,
        user_id=user_id,
        job_id=job_id,
    )
    session.add(row)
    return row


def record_submitted(session: Session, org_id: int, user_id, shipment, rows, split_reasons) -> None:
    """The ledger event of parts filed together (all of them from a request, one at a time
    from a job)."""
    session.flush()
    append(
        session,
        org_id,
        "eudr.dds_submitted",
        ("shipment", shipment.reference),
        {
            "statements": [
                {"part": r.part, "uuid": r.uuid, "internalReferenceNumber": r.internal_reference}
                for r in rows
            ],
            "split": split_reasons,
        },
        event_type="TransactionEvent",
        action="ADD",
        user_id=user_id,
    )


def parts_text(parts) -> str:
    """Filed parts as a refusal names them: "1 (uuid), 2 (uuid)" from (part, uuid) pairs."""
    return ", ".join(f"{part} ({uuid})" for part, uuid in parts)


def _numbers(rows: list[DdsStatement]) -> tuple[str | None, str | None]:
    """The shipment's fields: every part's number joined, when they fit the column, else the
    first part's (all parts stay on the statement rows and the shipment's DDS page)."""
    pairs = [(r.reference_number, r.verification_number) for r in rows if r.reference_number]
    if not pairs:
        return None, None
    references = ", ".join(p[0] for p in pairs)
    verifications = ", ".join(p[1] or "—" for p in pairs)
    if len(references) > _FIELD_MAX or len(verifications) > _FIELD_MAX:
        return pairs[0][0], pairs[0][1]
    return references, verifications


def refresh(session: Session, org_id: int, user_id, reference: str, client: DdsClient):
    """Ask the EU for each live statement's status; store the numbers once registered and
    copy them onto the shipment (its own ledger event records the change)."""
    shipment = get_shipment(session, org_id, reference)
    rows = _live(statements_of(session, org_id, shipment))
    if not rows:
        raise DomainError(_("No statement of this shipment is waiting for the EU."))
    changed = []
    for row in rows:
        info = client.get_dds(row.uuid)
        row.checked_at = utcnow()
        before = (row.status, row.reference_number, row.verification_number)
        row.status = info.status[:30]
        row.reference_number = (info.reference_number or row.reference_number or "")[:60] or None
        row.verification_number = (info.verification_number or row.verification_number or "")[
            :60
        ] or None
        if (row.status, row.reference_number, row.verification_number) != before:
            changed.append(
                {
                    "part": row.part,
                    "uuid": row.uuid,
                    "status": row.status,
                    "referenceNumber": row.reference_number,
                    "verificationNumber": row.verification_number,
                }
            )
        session.add(row)
    session.flush()
    if changed:
        append(
            session,
            org_id,
            "eudr.dds_status",
            ("shipment", shipment.reference),
            {"statements": changed},
            event_type="TransactionEvent",
            action="OBSERVE",
            user_id=user_id,
        )
    ref, verification = _numbers(rows)
    if ref:
        update_shipment(
            session,
            org_id,
            user_id,
            shipment.reference,
            {"eudr_dds_reference": ref, "eudr_dds_verification": verification},
        )
    return rows


def _within_window(row: DdsStatement) -> None:
    if row.status in CLOSED:
        raise Conflict(_("Statement %(uuid)s is %(status)s.", uuid=row.uuid, status=row.status))
    if utcnow() - row.submitted_at > AMEND_WINDOW:
        raise Conflict(
            _(
                "Statement %(uuid)s was submitted more than 72 hours ago: the EU system no "
                "longer accepts amending or withdrawing it.",
                uuid=row.uuid,
            )
        )


def statement_row(session: Session, org_id: int, shipment: Shipment, uuid: str) -> DdsStatement:
    for row in statements_of(session, org_id, shipment):
        if row.uuid == uuid:
            return row
    raise NotFound(_("No such statement on this shipment."))


def amend(session: Session, org_id: int, user_id, reference: str, uuid: str, client: DdsClient):
    """Send the statement as built now in place of part `uuid` (within 72 hours)."""
    shipment, plan = shipment_statements(session, org_id, reference)
    row = amendable(session, org_id, shipment, uuid, len(plan.statements))
    client.amend_dds(uuid, plan.statements[row.part - 1])
    return record_amended(session, org_id, user_id, shipment, row)


def amendable(
    session: Session, org_id: int, shipment: Shipment, uuid: str, part_count: int | None
) -> DdsStatement:
    """Part `uuid` of the shipment, if it may be amended now: live, within 72 hours and (when
    `part_count` is given) the statement as built now has as many parts as were filed."""
    row = statement_row(session, org_id, shipment, uuid)
    _within_window(row)
    if part_count is not None and part_count != row.part_count:
        raise Conflict(
            _("The shipment now needs a different number of statements: withdraw and file again.")
        )
    return row


def record_amended(session: Session, org_id: int, user_id, shipment, row: DdsStatement):
    row.amended_at = utcnow()
    session.add(row)
    session.flush()
    append(
        session,
        org_id,
        "eudr.dds_amended",
        ("shipment", shipment.reference),
        {"uuid": row.uuid, "part": row.part},
        event_type="TransactionEvent",
        action="OBSERVE",
        user_id=user_id,
    )
    return row


def withdraw(session: Session, org_id: int, user_id, reference: str, uuid: str, client: DdsClient):
    """Withdraw part `uuid` (within 72 hours)."""
    shipment = get_shipment(session, org_id, reference)
    row = statement_row(session, org_id, shipment, uuid)
    _within_window(row)
    client.withdraw_dds(uuid)
    row.status = "WITHDRAWN"
    row.withdrawn_at = utcnow()
    session.add(row)
    session.flush()
    append(
        session,
        org_id,
        "eudr.dds_withdrawn",
        ("shipment", shipment.reference),
        {"uuid": uuid, "part": row.part},
        event_type="TransactionEvent",
        action="DELETE",
        user_id=user_id,
    )
    return row
