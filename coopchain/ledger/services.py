"""Append-only, hash-chained audit events (EPCIS 2.0 shaped, DOMAIN.md §6).

`append` is called by every service that writes, in the same transaction as the write, so an
event exists exactly when the change it records was committed. Each organisation has its own
chain: event n stores the hash of event n-1, and its own hash is sha256 over the canonical
JSON of its body (which includes that previous hash). Changing, inserting or deleting any
event breaks every hash after it, and `verify_chain` names the event changed. A forger who
also recomputes every later hash is caught by the anchors (ledger/anchors.py).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.bulk_insert import insert_all
from coopchain.clock import utcnow
from coopchain.db import in_organization, owned
from coopchain.ledger.models import LedgerEvent

GENESIS_HASH = "0" * 64
#: session.info key: {organisation id: newest seq} of the events this session appended since its
#: last commit or rollback (trace/shared_page_cache.py publishes it after the commit). Noted
#: here, not found in session.new after a flush: the events go in as one bulk INSERT.
WRITTEN_HEADS = "coopchain.ledger.written_heads"
EPCIS_EVENT_TYPES = {"ObjectEvent", "AggregationEvent", "TransformationEvent", "TransactionEvent"}
EPCIS_ACTIONS = {"ADD", "OBSERVE", "DELETE", None}


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot put {type(value).__name__} in a ledger event")


def canonical_json(value) -> str:
    """Sorted keys, no whitespace, UTF-8 text: the same bytes for the same content, always."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def event_hash(body: dict) -> str:
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def append(
    session: Session,
    organization_id: int,
    kind: str,
    subject: tuple[str, object],
    payload: dict,
    *,
    event_type: str = "ObjectEvent",
    action: str | None = "ADD",
    user_id: int | None = None,
) -> LedgerEvent:
    """Record one event; `subject` is (type, id or code). Flushes, never commits."""
    return append_many(
        session,
        organization_id,
        [
            {
                "kind": kind,
                "subject": subject,
                "payload": payload,
                "event_type": event_type,
                "action": action,
            }
        ],
        user_id=user_id,
    )[0]


def append_many(
    session: Session, organization_id: int, events: list[dict], *, user_id: int | None = None
) -> list[LedgerEvent]:
    """Record several events in order with one lock and one flush (bulk imports).

    Each item has kind, subject and payload, and optionally event_type and action (as for
    `append`)."""
    for item in events:
        event_type, action = item.get("event_type", "ObjectEvent"), item.get("action", "ADD")
        if event_type not in EPCIS_EVENT_TYPES or action not in EPCIS_ACTIONS:
            raise ValueError(f"not an EPCIS 2.0 event: {event_type} {action}")
    # Lock the organisation row so two writers cannot both extend the chain from the same
    # event (PostgreSQL; SQLite serialises writers anyway). The unique (org, seq) backs it up.
    session.execute(
        select(Organization.id).where(Organization.id == organization_id).with_for_update()
    )
    last = session.execute(
        select(LedgerEvent.seq, LedgerEvent.hash)
        .where(in_organization(LedgerEvent, organization_id))
        .order_by(LedgerEvent.seq.desc())
        .limit(1)
    ).first()
    seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS_HASH)
    now = utcnow()
    rows = []
    for item in events:
        seq += 1
        event_type, action = item.get("event_type", "ObjectEvent"), item.get("action", "ADD")
        subject_type, subject_id = item["subject"]
        body = json.loads(
            canonical_json(
                {
                    "type": event_type,
                    "action": action,
                    "eventTime": now.isoformat(),
                    # Times are UTC (DESIGN.md §4), so EPCIS's required offset is always +00:00.
                    "eventTimeZoneOffset": "+00:00",
                    "kind": item["kind"],
                    "subject": {"type": subject_type, "id": str(subject_id)},
                    "organizationId": organization_id,
                    "userId": user_id,
                    "seq": seq,
                    "prevHash": prev_hash,
                    "data": item["payload"],
                }
            )
        )
        digest = event_hash(body)
        rows.append(
            {
                "organization_id": organization_id,
                "seq": seq,
                "event_type": event_type,
                "action": action,
                "kind": item["kind"],
                "subject_type": subject_type,
                "subject_id": str(subject_id),
                "event_time": now,
                "user_id": user_id,
                "payload": body,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    # One INSERT … RETURNING (bulk_insert.py): a 10,000-ticket import appends 10,000 events
    # inside SQLite's write lock (3.5 % of that import's time saved; cProfile had promised more).
    session.flush()  # pending rows first, in the order they were made
    written = insert_all(session, LedgerEvent, rows)
    heads = session.info.setdefault(WRITTEN_HEADS, {})
    heads[organization_id] = max(heads.get(organization_id, 0), seq)
    return written


def changes(before: dict, after: dict) -> dict:
    """{field: {"before": old, "after": new}} for the fields whose value changed."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in after
        if before.get(key) != after.get(key)
    }


@dataclass(frozen=True)
class ChainBreak:
    organization_id: int
    seq: int
    event_id: int
    kind: str
    reason: str


def _columns(event: LedgerEvent) -> tuple:
    """The queryable columns of an event, which must repeat what its hashed body says."""
    return (
        event.event_type,
        event.action,
        event.kind,
        event.subject_type,
        event.subject_id,
        event.organization_id,
        event.user_id,
        event.seq,
        event.event_time.isoformat(),
    )


def _columns_in(body: dict) -> tuple:
    subject = body.get("subject") or {}
    return (
        body.get("type"),
        body.get("action"),
        body.get("kind"),
        subject.get("type"),
        subject.get("id"),
        body.get("organizationId"),
        body.get("userId"),
        body.get("seq"),
        body.get("eventTime"),
    )


def verify_chain(session: Session, organization_id: int) -> tuple[int, ChainBreak | None]:
    """Recompute one organisation's chain; return (events checked, first break or None)."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    previous: LedgerEvent | None = None
    events = session.scalars(
        owned(LedgerEvent, organization_id)
        .order_by(LedgerEvent.seq)
        .execution_options(yield_per=500)
    )
    for event in events:
        body = event.payload or {}
        if event.seq != expected_seq:
            reason = f"sequence jumps from {expected_seq - 1} to {event.seq} (event missing)"
            return checked, ChainBreak(organization_id, event.seq, event.id, event.kind, reason)
        if event.prev_hash != body.get("prevHash"):
            reason = "its link column differs from its hashed body (event altered)"
            return checked, ChainBreak(organization_id, event.seq, event.id, event.kind, reason)
        if event.prev_hash != expected_prev and previous is not None:
            # The event before verified on its own, so its hash was recomputed after a change:
            # name that event, the one rewritten, not this one, whose link kept the old hash.
            reason = (
                "rewritten and its hash recomputed: the next event still links to the original hash"
            )
            return checked - 1, ChainBreak(
                organization_id, previous.seq, previous.id, previous.kind, reason
            )
        if event.prev_hash != expected_prev:
            reason = "the first event does not start from the genesis hash (event altered)"
        elif event_hash(body) != event.hash:
            reason = "content does not match its hash (event altered)"
        elif _columns(event) != _columns_in(body):
            reason = "columns differ from the hashed body (event altered)"
        else:
            reason = None
        if reason:
            return checked, ChainBreak(organization_id, event.seq, event.id, event.kind, reason)
        expected_prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
        previous = event
    return checked, None


def events_page(session: Session, organization_id: int, page: int, per_page: int):
    """One page of an organisation's events, newest first, and the total count."""
    query = owned(LedgerEvent, organization_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(LedgerEvent.seq.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total
