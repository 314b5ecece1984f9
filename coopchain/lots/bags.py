"""Export bags (coffee) and boxes (pitahaya): filled from a lot, each with a serial and a
public token for its QR code. A void puts the bag's kilograms back into the lot."""

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.clock import today, utcnow
from coopchain.db import in_organization, owned, settings_of
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.services import append
from coopchain.lots import rules
from coopchain.lots.errors import InsufficientQuantity
from coopchain.lots.models import Bag, Lot, new_public_token
from coopchain.lots.services import get_lot, lock_lots, reserve_numbers

MAX_BAGS_AT_ONCE = 2000


def create_bags(
    session: Session,
    org_id: int,
    user_id: int | None,
    code: str,
    count: int,
    net_kg: Decimal | None = None,
) -> list[Bag]:
    """Fill `count` bags of `net_kg` (the crop's setting by default) from lot `code`."""
    lot = get_lot(session, org_id, code)
    lot = lock_lots(session, org_id, [lot.id])[lot.id]
    if lot.voided_at is not None:
        raise Conflict(str(_l("Lot %(code)s is voided.", code=lot.code)))
    if lot.product_form != rules.BAGGED_FORMS.get(lot.crop):
        raise DomainError(
            str(
                _l(
                    "Only %(form)s lots are bagged for export; process this lot first.",
                    form=_(rules.BAGGED_FORMS.get(lot.crop, "?")),
                )
            )
        )
    if not 1 <= count <= MAX_BAGS_AT_ONCE:
        raise DomainError(
            str(_l("Between 1 and %(n)s bags at a time.", n=MAX_BAGS_AT_ONCE)),
            {"count": [str(_l("Between 1 and %(n)s.", n=MAX_BAGS_AT_ONCE))]},
        )
    weight = rules.kg(settings_of(session).bag_net_kg[lot.crop] if net_kg is None else net_kg)
    if weight <= 0:
        raise DomainError(
            str(_l("Must be above zero.")), {"net_kg": [str(_l("Must be above zero."))]}
        )
    needed = weight * count
    if needed > lot.available_kg:
        raise InsufficientQuantity(
            str(
                _l(
                    "%(count)s bags of %(weight)s kg need %(needed)s kg; lot %(code)s has "
                    "%(available)s kg available.",
                    count=count,
                    weight=weight,
                    needed=needed,
                    code=lot.code,
                    available=lot.available_kg,
                )
            ),
            {"count": [str(_l("Too many for what is available."))]},
        )
    org_code = session.scalar(select(Organization.code).where(Organization.id == org_id))
    year = today().year
    first = reserve_numbers(session, org_id, f"bag:{year}", count)
    bags = [
        Bag(
            organization_id=org_id,
            lot_id=lot.id,
            serial=rules.bag_serial(org_code, year, n),
            public_token=new_public_token(),
            net_kg=weight,
            user_id=user_id,
        )
        for n in range(first, first + count)
    ]
    lot.available_kg -= needed
    session.add_all(bags)
    session.flush()
    append(
        session,
        org_id,
        "bags.created",
        ("lot", lot.code),
        {
            "count": count,
            "netKgEach": weight,
            "quantity": needed,
            "uom": "KGM",
            "serials": [bag.serial for bag in bags],
        },
        user_id=user_id,
    )
    return bags


def get_bag(session: Session, org_id: int, serial: str) -> Bag:
    bag = session.scalar(owned(Bag, org_id).where(Bag.serial == serial))
    if bag is None:
        raise NotFound(str(_l("No bag with serial %(serial)s.", serial=serial)))
    return bag


def list_bags(
    session: Session, org_id: int, lot_code: str | None, page: int, per_page: int
) -> tuple[list[tuple[Bag, str]], int]:
    query = (
        select(Bag, Lot.code).join(Lot, Lot.id == Bag.lot_id).where(in_organization(Bag, org_id))
    )
    if lot_code:
        query = query.where(Lot.code == lot_code)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Bag.serial).offset((page - 1) * per_page).limit(per_page))
    return [tuple(row) for row in rows], total


def void_bag(session: Session, org_id: int, user_id: int | None, serial: str, reason: str) -> Bag:
    bag = get_bag(session, org_id, serial)
    if bag.voided_at is not None:
        raise Conflict(str(_l("This bag is already voided.")))
    if not (reason or "").strip():
        raise DomainError(str(_l("Give a reason.")), {"reason": [str(_l("Required."))]})
    if bag.shipment_id is not None:
        # A bag on a shipment is on its packing list (and may be at sea): take it off first.
        raise Conflict(
            str(
                _l(
                    "Bag %(serial)s is on a shipment; remove it from the shipment first.",
                    serial=bag.serial,
                )
            )
        )
    lot = lock_lots(session, org_id, [bag.lot_id])[bag.lot_id]
    now = utcnow()
    bag.voided_at, bag.void_reason = now, reason.strip()
    lot.available_kg += bag.net_kg
    session.flush()
    append(
        session,
        org_id,
        "bag.voided",
        ("bag", bag.serial),
        {
            "lot": lot.code,
            "returnedKg": bag.net_kg,
            "errorDeclaration": {"declarationTime": now, "reason": reason.strip()},
        },
        action="DELETE",
        user_id=user_id,
    )
    return bag
