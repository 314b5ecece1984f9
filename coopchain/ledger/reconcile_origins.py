"""Materialised origins against a full recomputation (issue 19 §2).

Events say which transformations were made from what; the shares a lot keeps of each delivery
(lots/origin_shares.py) follow from those alone. So the check rebuilds every live lot's shares
from the genealogy, ignoring the stored rows, and names each row whose share, grams, delivery, plot
or downgrade flag differs, each row missing, and each row no lot should have.
"""

from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization
from coopchain.lots import origin_shares
from coopchain.lots.models import Delivery, LotOriginShare

TABLE = "lot_origin_shares"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def expected_rows(session: Session, organization_id: int) -> dict[str, dict[str, str]]:
    """{"<lot code> <origin lot code>": {field: value}} as the genealogy says they must be."""
    computed, lots = origin_shares.recompute(session, organization_id)
    plot_of = dict(
        session.execute(
            select(Delivery.id, Delivery.plot_id).where(in_organization(Delivery, organization_id))
        ).all()
    )
    rows = {}
    for lot_id, shares in computed.items():
        if lots[lot_id].voided_at is not None:
            continue
        delivery_of = {origin: lots[origin].delivery_id for origin in shares.rows}
        grams = origin_shares.grams_of(lots[lot_id].quantity_kg, shares, delivery_of)
        for origin, (num, down) in shares.rows.items():
            delivery_id = lots[origin].delivery_id
            rows[f"{lots[lot_id].code} {lots[origin].code}"] = {
                "share": f"{num}/{shares.den}",
                "grams": str(grams[origin]),
                "delivery_id": str(delivery_id),
                "plot_id": str(plot_of.get(delivery_id)),
                "downgraded": _yes_no(down),
            }
    return rows, {lot_id: row.code for lot_id, row in lots.items()}


def stored_rows(session: Session, organization_id: int, codes: dict[int, str]) -> dict:
    return {
        f"{codes.get(r.lot_id)} {codes.get(r.origin_lot_id)}": {
            "share": f"{r.share_num}/{r.share_den}",
            "grams": str(r.share_g),
            "delivery_id": str(r.delivery_id),
            "plot_id": str(r.plot_id),
            "downgraded": _yes_no(r.downgraded),
        }
        for r in session.execute(
            select(
                LotOriginShare.lot_id,
                LotOriginShare.origin_lot_id,
                LotOriginShare.delivery_id,
                LotOriginShare.plot_id,
                LotOriginShare.share_num,
                LotOriginShare.share_den,
                LotOriginShare.share_g,
                LotOriginShare.downgraded,
            ).where(in_organization(LotOriginShare, organization_id))
        )
    }


def differences(session: Session, organization_id: int) -> tuple[int, list[tuple]]:
    """(rows checked, [(row, field, stored, expected)]), field "(row)" for a missing or an
    extra row (stored or expected None)."""
    expected, codes = expected_rows(session, organization_id)
    stored = stored_rows(session, organization_id, codes)
    found = []
    for key in sorted(stored.keys() | expected.keys()):
        have, want = stored.get(key), expected.get(key)
        if have is None or want is None:
            found.append((key, "(row)", have and "present", want and "present"))
            continue
        found += [(key, name, have[name], want[name]) for name in want if have[name] != want[name]]
    return len(stored), found
