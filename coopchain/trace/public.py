"""What a buyer sees when they scan a bag (/b/<token>) or open a lot (/l/<token>).

`find_bag` / `find_lot` / `find_digital_link` resolve what a public URL points at; `page_facts`
gathers everything the page shows as plain values (codes, numbers, dates; only the map's title
is text in the page's language), and the rendered page is cached (trace/page_cache.py).

Privacy is decided here, not in the template: a producer's name leaves this module only with
`public_name_consent`, otherwise the producer is "Family N" (numbered on this page only, by
contribution, so the number says nothing about the registry); national IDs, phone numbers and
coordinates are never read into the facts at all, and the map is drawn from coarse grid cells
(trace/coarse_map.py).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.certs import compliance
from coopchain.certs.claims import claims_of
from coopchain.certs.compliance_report import Subject
from coopchain.certs.models import Certificate, CertificateStatus, SubjectKind
from coopchain.clock import cooperative_zone, today
from coopchain.db import in_organization, owned, settings_of
from coopchain.farms.models import Agreement, Plot
from coopchain.lots import rules as lot_rules
from coopchain.lots.models import Bag, Lot
from coopchain.lots.origins import Origin
from coopchain.payments.transparency import price_facts
from coopchain.quality.gradings import latest_grading
from coopchain.quality.lot_quality import CuppingScore
from coopchain.shipments.models import Shipment, ShipmentStatus
from coopchain.trace import public_origin
from coopchain.trace.coarse_map import coarse_map_svg
from coopchain.trace.qr import gs1_serial

#: Statuses in which a shipment has left: only then are its destination and date public.
SHIPPED = {ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED}


@dataclass(frozen=True)
class Target:
    """What a public URL resolved to: a live lot, and the live bag when a bag was scanned."""

    organization: Organization
    lot: Lot
    bag: Bag | None = None
    shipment: Shipment | None = None

    @property
    def kind(self) -> str:
        return "bag" if self.bag is not None else "lot"


def _target(session: Session, lot: Lot, bag: Bag | None) -> Target | None:
    if lot is None or lot.voided_at is not None:
        return None
    shipment = session.get(Shipment, bag.shipment_id) if bag and bag.shipment_id else None
    return Target(session.get(Organization, lot.organization_id), lot, bag, shipment)


def find_bag(session: Session, token: str) -> Target | None:
    """The live bag with this token (and its live lot), or None: a voided bag, a bag of a voided
    lot and a token that never existed are all the same None."""
    bag = session.scalar(select(Bag).where(Bag.public_token == token, Bag.voided_at.is_(None)))
    return _target(session, session.get(Lot, bag.lot_id), bag) if bag else None


def find_lot(session: Session, token: str) -> Target | None:
    lot = session.scalar(select(Lot).where(Lot.public_token == token))
    return _target(session, lot, None) if lot else None


def find_digital_link(session: Session, parsed: dict) -> Target | None:
    """A GS1 Digital Link (DOMAIN.md §6) opens a page only when GTIN, lot code, serial and our
    token `k` all belong together: lot codes and serials are sequential, the token is not."""
    key = parsed.get("key")
    if not key:
        return None
    target = find_bag(session, key) if parsed.get("serial") else find_lot(session, key)
    if target is None or target.organization.gtin != parsed["gtin"]:
        return None
    if target.lot.code != parsed["lot"]:
        return None
    # The link carries the serial without its constant "PE-<ORG>-" prefix (AI 21 allows 20).
    if (
        parsed.get("serial")
        and gs1_serial(target.bag.serial, target.organization.code) != (parsed["serial"])
    ):
        return None
    return target


def voided_day(session: Session, kind: str, token: str) -> date | None:
    """The day (on the cooperative's clock) a bag or lot behind `token` was voided — the bag
    itself, or the lot it was cut from — or None when the token leads to nothing voided."""
    if kind == "bag":
        bag = session.scalar(select(Bag).where(Bag.public_token == token))
        lot = session.get(Lot, bag.lot_id) if bag else None
        moment = (bag.voided_at or lot.voided_at) if bag else None
    else:
        lot = session.scalar(select(Lot).where(Lot.public_token == token))
        moment = lot.voided_at if lot else None
    return moment.astimezone(cooperative_zone()).date() if moment else None


# --- the facts ---------------------------------------------------------------------------------


def _agreement_years(session: Session, org_id: int, origins: list[Origin]) -> dict[str, int]:
    numbers = {number for o in origins for number in o.agreement_numbers}
    if not numbers:
        return {}
    rows = session.execute(
        select(Agreement.number, Agreement.signed_on).where(
            in_organization(Agreement, org_id), Agreement.number.in_(numbers)
        )
    )
    return {number: signed_on.year for number, signed_on in rows}


def _plot_rows(session: Session, org_id: int, subject: Subject) -> list[dict]:
    """One row per plot, largest contribution first, with the public facts only; forest
    evidence and agreement status are those the compliance engine judged."""
    origins = [origin for origin, _kg in subject.origins]
    by_plot: dict[int, dict] = {}
    for origin in origins:
        row = by_plot.setdefault(
            origin.plot_id,
            {
                "origin": origin,
                "kg": Decimal("0"),
                "statuses": set(),
                "agreements": set(),
                "agreement_active": True,
            },
        )
        row["kg"] += origin.kg
        row["statuses"].add(origin.organic_status)
        row["agreements"].update(origin.agreement_numbers)
        row["agreement_active"] = row["agreement_active"] and origin.agreement_active
    producer_kg: dict[int, Decimal] = defaultdict(Decimal)
    for row in by_plot.values():
        producer_kg[row["origin"].producer_id] += row["kg"]
    family_of = {
        producer_id: number
        for number, (producer_id, _kg) in enumerate(
            sorted(producer_kg.items(), key=lambda item: (-item[1], item[0])), start=1
        )
    }
    years = _agreement_years(session, org_id, origins)
    total = sum((row["kg"] for row in by_plot.values()), Decimal("0")) or Decimal("1")
    rows = []
    for plot_id, row in by_plot.items():
        origin: Origin = row["origin"]
        found = subject.evidence.get(plot_id)
        # The year an agreement began is said only of a plot whose agreement was in force on
        # every delivery (rule AGR-ACTIVE judges the same origins).
        agreement_years = [years[n] for n in row["agreements"] if n in years]
        if not row["agreement_active"]:
            agreement_years = []
        rows.append(
            {
                "plot_id": plot_id,
                "family": family_of[origin.producer_id],
                "producer_id": origin.producer_id,
                "name": origin.producer_name if origin.public_name_consent else None,
                "community": origin.community,
                "area_ha": origin.plot_area_ha,
                "altitude_m": origin.altitude_m,
                "agreement_since": min(agreement_years) if agreement_years else None,
                "forest_result": found.result if found else None,
                "forest_checked_on": found.observed_on if found else None,
                "organic_status": lot_rules.worst_organic_status(row["statuses"]).value,
                "organic_since": origin.organic_since,
                "kg": row["kg"],
                "share_pct": (row["kg"] * 100 / total).quantize(Decimal("0.1")),
            }
        )
    rows.sort(key=lambda r: (-r["kg"], r["family"], r["plot_id"]))
    return rows


def _cupping(score: CuppingScore | None) -> dict | None:
    if score is None:
        return None
    return {
        "score": score.score.quantize(Decimal("0.01")),
        "classification": score.classification.value,
        "protocols": [str(p) for p in score.protocols],
        "derived": score.derived,
        "held_on": score.held_on,
        "coverage_pct": (score.coverage * 100).quantize(Decimal("1")),
    }


def _pitahaya(session: Session, lot: Lot) -> dict | None:
    grading = latest_grading(session, lot, "pitahaya")
    if grading is None:
        return None
    return {
        "codex_class": grading.codex_class,
        "graded_on": grading.graded_on,
        "brix": grading.brix,
        "size_code": grading.size_code,
    }


def _certificate(session: Session, target: Target) -> dict | None:
    """The newest valid certificate of the shipment the bag travels on, else of the lot."""
    subjects = []
    if target.shipment is not None:
        subjects.append((SubjectKind.SHIPMENT, target.shipment.reference))
    subjects.append((SubjectKind.LOT, target.lot.code))
    for kind, reference in subjects:
        certificate = session.scalar(
            owned(Certificate, target.lot.organization_id)
            .where(
                Certificate.subject_kind == kind,
                Certificate.subject_ref == reference,
                Certificate.status == CertificateStatus.VALID,
            )
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
            .limit(1)
        )
        if certificate is not None:
            return {
                "number": certificate.number,
                "verify_code": certificate.verify_code,
                "issued_on": certificate.issued_at.date(),
                "subject_kind": kind.value,
            }
    return None


def _shipment(shipment: Shipment | None) -> dict | None:
    if shipment is None or shipment.status not in SHIPPED:
        return None
    return {
        "status": shipment.status,
        "port_of_destination": shipment.port_of_destination,
        "country": shipment.buyer_country,
        "shipped_on": shipment.shipped_on,
        "delivered_on": shipment.delivered_on,
        # The EU due diligence statement's reference number, once the importer (or we) filed
        # it (DOMAIN.md §8): a buyer can look it up in the EU system.
        "dds_reference": shipment.eudr_dds_reference,
    }


def _map(session: Session, org_id: int, plot_ids: list[int], areas) -> str | None:
    rows = session.execute(
        select(Plot.geometry, Plot.declared_area_ha).where(
            in_organization(Plot, org_id), Plot.id.in_(plot_ids)
        )
    )
    plots = [(geometry, float(area) if area else None) for geometry, area in rows]
    title = _("Where the farms are: each shaded square of about a kilometre holds at least one.")
    return coarse_map_svg(
        plots,
        cell_deg=settings_of(session).public_map_cell_deg,
        title=title,
        areas=[area.geometry for area in areas],
    )


def page_facts(session: Session, target: Target) -> dict:
    """Everything the public page shows about `target`, as plain values.

    Organic, agreement and forest claims are the compliance engine's (certs/claims.py) for this
    lot on the day the bag shipped, else today: the page never judges a second time. The
    engine runs once per page build, and its facts (origins, evidence, cupping) are reused."""
    lot, org_id = target.lot, target.lot.organization_id
    shipment = _shipment(target.shipment)
    judged_on = shipment["shipped_on"] if shipment and shipment["shipped_on"] else today()
    report = compliance.evaluate(compliance.lot_subject(session, org_id, lot.code, judged_on))
    subject = report.subject
    claims = claims_of(report)
    plots = _plot_rows(session, org_id, subject)
    plot_ids = [row["plot_id"] for row in plots]
    settings = settings_of(session)
    limit = settings.public_max_plot_rows
    altitudes = [row["altitude_m"] for row in plots if row["altitude_m"] is not None]
    start_month = settings.season_start_month
    families = len({row["producer_id"] for row in plots})
    areas = public_origin.protected_areas(session, org_id)
    return {
        "kind": target.kind,
        "organization": target.organization.name,
        "headline": public_origin.headline(
            target.organization, families, claims["agreement"]["holds"], areas
        ),
        "dates": public_origin.dates(session, subject, lot, shipment),
        "eudr": public_origin.eudr(claims, subject),
        "story": (target.organization.public_story or "").strip() or None,
        "photo": public_origin.photo(target.organization),
        "areas": [{"name": a.name, "approximate": a.approximate} for a in areas],
        "lot": {
            "code": lot.code,
            "crop": lot.crop,
            "product_form": lot.product_form,
            "quantity_kg": lot.quantity_kg,
        },
        "bag": {"serial": target.bag.serial, "net_kg": target.bag.net_kg} if target.bag else None,
        "seasons": sorted(
            {lot_rules.season_of(o.delivered_on, start_month) for o, _kg in subject.origins}
        ),
        "shipment": shipment,
        "cupping": _cupping(subject.cupping.get(lot.code)) if lot.crop == "coffee" else None,
        "pitahaya": _pitahaya(session, lot) if lot.crop == "pitahaya" else None,
        "judged_on": claims["judged_on"],
        "organic": claims["organic"],
        "agreement": claims["agreement"],
        "forest": claims["forest"],
        "origin": {
            "families": families,
            "plots": len(plots),
            "hectares": sum((row["area_ha"] or Decimal("0") for row in plots), Decimal("0")),
            "altitude_min": min(altitudes) if altitudes else None,
            "altitude_max": max(altitudes) if altitudes else None,
            "communities": sorted({row["community"] for row in plots if row["community"]}),
        },
        "plots": [_public_row(row) for row in plots[:limit]],
        "more_plots": {
            "count": max(len(plots) - limit, 0),
            "hectares": sum((r["area_ha"] or Decimal("0") for r in plots[limit:]), Decimal("0")),
        },
        "map_svg": _map(session, org_id, plot_ids, areas),
        "certificate": _certificate(session, target),
        "price": price_facts(session, target.organization, subject.origins, settings.currency),
    }


def _public_row(row: dict) -> dict:
    # Internal ids stay here: the page needs neither the plot's nor the producer's.
    return {key: value for key, value in row.items() if key not in ("plot_id", "producer_id")}
