"""The buyer's first five seconds on a public page: where the coffee is from (country, region,
the protected forest the families farm beside), when it was harvested, processed and exported,
and the lot's EUDR standing — plain values gathered for trace/public.py's page facts.

Every claim here is the compliance engine's (certs/claims.py): the agreements clause only when
the agreement claim holds, "deforestation-free" only when the forest claim does.
"""

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from coopchain.certs.compliance_report import Subject
from coopchain.db import owned
from coopchain.farms.models import AreaKind, ProtectedArea
from coopchain.lots.models import Lot, Transformation, TransformationInput, TransformationKind

#: Transformations walked back through to find where a lot was processed: a split or a sample
#: keeps the coffee as it was; at a merge of several lots the answer would be several dates.
_PASS_THROUGH = {TransformationKind.SPLIT, TransformationKind.SAMPLE}
#: A lot's ancestry is short (merge, process, split); this only stops a malformed graph.
_MAX_STEPS = 20


def protected_areas(session: Session, org_id: int) -> list[ProtectedArea]:
    """The organisation's protected areas (not buffer zones), oldest upload first."""
    return list(
        session.scalars(
            owned(ProtectedArea, org_id)
            .where(ProtectedArea.kind == AreaKind.PROTECTED_AREA)
            .order_by(ProtectedArea.uploaded_at, ProtectedArea.id)
        )
    )


def headline(organization, families: int, agreement_holds: bool, areas) -> dict:
    """The page's first line as values: "Alto Mayo, San Martín, Peru — grown by 2 families
    under conservation agreements with the Alto Mayo Protection Forest"."""
    return {
        "region": (organization.region or "").strip() or None,
        "country": organization.country,
        "families": families,
        "agreements": agreement_holds and families > 0,
        # Named only with the agreements: the forest is why the agreements exist.
        "forest": areas[0].name if areas and agreement_holds else None,
    }


def processed_on(session: Session, lot: Lot) -> date | None:
    """The day the lot (or the lot it was split from) was processed (e.g. hulled to green)."""
    current = lot
    for _ in range(_MAX_STEPS):
        if current.transformation_id is None:
            return None
        transformation = session.get(Transformation, current.transformation_id)
        if transformation.kind == TransformationKind.PROCESS:
            return transformation.occurred_on
        if transformation.kind not in _PASS_THROUGH:
            return None
        inputs = session.scalars(
            select(TransformationInput.lot_id).where(
                TransformationInput.transformation_id == transformation.id
            )
        ).all()
        if len(set(inputs)) != 1:
            return None
        current = session.get(Lot, inputs[0])
    return None


def dates(session: Session, subject: Subject, lot: Lot, shipment: dict | None) -> dict:
    delivered = [origin.delivered_on for origin, _kg in subject.origins]
    return {
        "harvest_from": min(delivered) if delivered else None,
        "harvest_to": max(delivered) if delivered else None,
        "processed_on": processed_on(session, lot),
        "exported_on": shipment["shipped_on"] if shipment else None,
    }


def eudr(claims: dict, subject: Subject) -> dict:
    """The lot-level EUDR line: deforestation-free per the evidence, with the evidence's date
    (the newest observation among its plots) and the day the engine judged it."""
    observed = [e.observed_on for e in subject.evidence.values() if e and e.observed_on]
    return {
        "deforestation_free": claims["forest"]["holds"],
        "because": claims["forest"]["because"],
        "evidence_on": max(observed) if observed else None,
        "judged_on": claims["judged_on"],
    }


def photo_url(organization) -> str | None:
    """Where the page loads the cooperative's photo from (this app, never a third party); the
    digest in the path changes with the photo, so it may be cached for good."""
    if not organization.public_photo:
        return None
    from coopchain.trace.photos import photo_digest

    return f"/o/{organization.code}/photo-{photo_digest(organization.public_photo)}.jpg"


def photo(organization) -> dict | None:
    """The photo's address and size: the page reserves its space before it loads."""
    url = photo_url(organization)
    if url is None:
        return None
    from coopchain.trace.photos import photo_size

    width, height = photo_size(organization.public_photo)
    return {"url": url, "width": width, "height": height}
