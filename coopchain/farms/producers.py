"""The farm registry's rules for producers: look-up, search, registration and edits.

Every function takes the session and the organisation id, scopes every query by it, records a
ledger event for each write, flushes and never commits (DESIGN.md §3).
"""

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from coopchain.clock import utcnow
from coopchain.db import in_organization, owned
from coopchain.errors import Conflict, NotFound
from coopchain.farms.models import Producer, ProducerStatus
from coopchain.farms.registry_common import _masked_changes, _snapshot
from coopchain.ledger.services import append
from coopchain.search.folding import digits, digits_pattern, fold, loosely_like

PRODUCER_FIELDS = (
    "member_code",
    "first_name",
    "last_name",
    "national_id",
    "sex",
    "community",
    "sector",
    "phone",
    "cci",
    "joined_on",
    "public_name_consent",
    "status",
)


def get_producer(session: Session, org_id: int, producer_id: int) -> Producer:
    producer = session.scalar(
        select(Producer).where(Producer.id == producer_id, in_organization(Producer, org_id))
    )
    if producer is None:
        raise NotFound(str(_l("No such producer.")))
    return producer


def producer_by_code(session: Session, org_id: int, member_code: str) -> Producer | None:
    return session.scalar(owned(Producer, org_id).where(Producer.member_code == member_code))


#: What a producer is found by, accents and case aside (search/folding.py).
_NAME_COLUMNS = ("member_code", "first_name", "last_name", "community", "sector")
#: A number typed whole, at least this long, is looked up in national IDs and phones.
_MIN_DIGITS = 4


def find_producers(session: Session, org_id: int, q: str, private: bool = False) -> list[Producer]:
    """Producers whose code, names, community or sector hold every word of `q`, accents and
    case aside ("vasquez rosa" finds Rosa Vásquez), by member code; with `private`, also those
    whose national ID or phone holds the digits of a number typed whole ("942 118 307")."""
    words = fold(q).split()
    if not words:
        return []
    columns = [getattr(Producer, name) for name in _NAME_COLUMNS]
    by_name = and_(*(or_(*(loosely_like(c, word) for c in columns)) for word in words))
    number = digits(q) if private and not any(c.isalpha() for c in q) else ""
    by_number = len(number) >= _MIN_DIGITS
    if by_number:
        pattern = digits_pattern(number)
        by_name = or_(by_name, Producer.national_id.like(pattern), Producer.phone.like(pattern))
    found = session.scalars(owned(Producer, org_id).where(by_name).order_by(Producer.member_code))

    def holds(producer: Producer) -> bool:
        texts = [fold(getattr(producer, name)) for name in _NAME_COLUMNS]
        if all(any(word in text for text in texts) for word in words):
            return True
        return by_number and any(
            number in digits(value) for value in (producer.national_id, producer.phone)
        )

    return [producer for producer in found if holds(producer)]


def search_producers(
    session: Session, org_id: int, q: str | None, page: int, per_page: int, private: bool = False
) -> tuple[list[Producer], int]:
    if q and q.strip():
        found = find_producers(session, org_id, q, private)
        return found[(page - 1) * per_page : page * per_page], len(found)
    query = owned(Producer, org_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(Producer.member_code).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total


_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def next_member_code(session: Session, org_id: int) -> str | None:
    """The code the next member would get by the organisation's own pattern: the prefix most
    codes share, one above its highest number, as wide as its codes ("CAF-0042" → "CAF-0043").
    A suggestion only: two clerks may get the same one, and the unique code still decides."""
    counts: dict[str, list[int]] = {}
    widths: dict[str, int] = {}
    for code in session.scalars(
        select(Producer.member_code).where(in_organization(Producer, org_id))
    ):
        found = _NUMBERED.match(code.strip())
        if found:
            prefix, number = found.groups()
            counts.setdefault(prefix, []).append(int(number))
            widths[prefix] = max(widths.get(prefix, 0), len(number))
    if not counts:
        return None
    prefix = max(counts, key=lambda p: (len(counts[p]), max(counts[p])))
    return f"{prefix}{max(counts[prefix]) + 1:0{widths[prefix]}d}"


def create_producer(session: Session, org_id: int, user_id: int | None, data: dict) -> Producer:
    if producer_by_code(session, org_id, data["member_code"]):
        raise Conflict(
            str(_l("Member code %(code)s is already used.", code=data["member_code"])),
            {"member_code": [str(_l("Already used by another producer."))]},
        )
    producer = Producer(organization_id=org_id, **{k: data.get(k) for k in PRODUCER_FIELDS})
    session.add(producer)
    session.flush()
    append(
        session,
        org_id,
        "producer.created",
        ("producer", producer.member_code),
        _snapshot(producer, PRODUCER_FIELDS),
        user_id=user_id,
    )
    return producer


def update_producer(
    session: Session, org_id: int, user_id: int | None, producer_id: int, data: dict
) -> Producer:
    producer = get_producer(session, org_id, producer_id)
    if data["member_code"] != producer.member_code and producer_by_code(
        session, org_id, data["member_code"]
    ):
        raise Conflict(
            str(_l("Member code %(code)s is already used.", code=data["member_code"])),
            {"member_code": [str(_l("Already used by another producer."))]},
        )
    before = {name: getattr(producer, name) for name in PRODUCER_FIELDS}
    for name in PRODUCER_FIELDS:
        setattr(producer, name, data.get(name))
    producer.updated_at = utcnow()
    session.add(producer)
    session.flush()
    diff = _masked_changes(before, {name: getattr(producer, name) for name in PRODUCER_FIELDS})
    if diff:
        append(
            session,
            org_id,
            "producer.updated",
            ("producer", producer.member_code),
            diff,
            action="OBSERVE",
            user_id=user_id,
        )
    return producer


def active_producer_names(session: Session, org_id: int) -> list[tuple[str, str]]:
    """(member code, full name) of the organisation's active producers, by code: what the
    intake form offers to pick from."""
    rows = session.execute(
        select(Producer.member_code, Producer.first_name, Producer.last_name)
        .where(in_organization(Producer, org_id), Producer.status == ProducerStatus.ACTIVE)
        .order_by(Producer.member_code)
    )
    return [(code, f"{first} {last}") for code, first, last in rows]
