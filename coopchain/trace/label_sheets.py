"""Bag labels: an A4 sheet to cut (several labels per page) or one 100 × 150 mm label per bag,
each with the QR code of the bag's public page, its serial, lot, product, net kg, the ICO mark
of its lot on its shipment, "Product of Peru / Producto del Perú", the organisation, and the
organic words only when the compliance engine lets the claim hold (as on the public page and
the certificate). The words are English and Spanish side by side, whoever prints them: the
bag travels to a buyer abroad (packing_terms.py).

Two steps, like the intake receipt (lots/receipt.py, DESIGN.md §3, §6): `bag_labels` reads the
database into plain dicts, and the render functions turn them into PDF bytes with WeasyPrint.
Each QR code is a PNG inside the HTML as a data: URL. WeasyPrint hands even data: URLs to the
url_fetcher, so labels use the shared refusing fetcher (coopchain/pdf.py) with one exception:
it decodes `data:image/png;base64,…` itself, in memory; file://, http(s):// and everything else
are still refused. (Inline SVG would need no fetcher at all, but WeasyPrint draws an SVG path
in Python, command by command: 300 QR codes took longer than the whole 10 s budget; one image
each is cheap.) Words are translated when the PDF is rendered, in the current locale; the
dicts hold codes.
"""

import base64
import binascii
from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session
from weasyprint.urls import URLFetcherResponse

from coopchain.auth.models import Organization
from coopchain.certs.claims import claims_of
from coopchain.certs.compliance import check_lot
from coopchain.db import owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.lots.models import Bag, Lot
from coopchain.lots.services import get_lot
from coopchain.pdf import RefuseAllFetcher, render_pdf
from coopchain.shipments.models import Shipment
from coopchain.shipments.packing import ico_marks_by_lot
from coopchain.shipments.packing_terms import LABELS, PRODUCTS
from coopchain.trace.qr import bag_qr_data, qr_png

TEMPLATE = "pdf/labels.html"
LAYOUTS = ("sheet", "single")
#: The only URLs a label may hold: its own QR code, inline.
PNG_DATA_URL = "data:image/png;base64,"
#: Pixels per QR module in the PNG: the printer scales it up without blurring (pixelated).
QR_BOX_PX = 4
#: Labels per A4 page in the sheet layout: 2 columns × 4 rows of 97 × 69 mm (templates/pdf).
SHEET_COLUMNS, SHEET_ROWS = 2, 4


def bag_labels(session: Session, org_id: int, bags: Sequence[Bag]) -> list[dict]:
    """One plain dict per bag, in the order given. Bags of another organisation raise NotFound;
    voided bags raise Conflict (a voided bag's kilograms went back to its lot: no label)."""
    organization = session.get(Organization, org_id)
    for bag in bags:
        if bag.organization_id != org_id:
            raise NotFound(str(_l("No bag with serial %(serial)s.", serial=bag.serial)))
        if bag.voided_at is not None:
            raise Conflict(str(_l("Bag %(serial)s is voided: no label.", serial=bag.serial)))
    lot_ids = {bag.lot_id for bag in bags}
    lots = {lot.id: lot for lot in session.scalars(owned(Lot, org_id).where(Lot.id.in_(lot_ids)))}
    # The organic claim is the compliance engine's for the lot today (certs/claims.py: organic
    # origins, no commingling, valid certificates), judged once per lot, not once per bag.
    organic = {
        lot_id: claims_of(check_lot(session, org_id, lot.code))["organic"]
        for lot_id, lot in lots.items()
    }
    marks = _ico_marks(session, org_id, bags)
    labels = []
    for bag in bags:
        lot = lots[bag.lot_id]
        url = bag_qr_data(organization, lot, bag)
        claim = organic[lot.id]
        labels.append(
            {
                "serial": bag.serial,
                "url": url,
                "qr_png": PNG_DATA_URL + base64.b64encode(qr_png(url, QR_BOX_PX)).decode(),
                "lot_code": lot.code,
                "crop": str(lot.crop),
                "product_form": str(lot.product_form),
                "net_kg": bag.net_kg,
                "organic_claim": claim["claim"],
                # Organic words and the control body only when the engine lets the claim hold.
                "organic": bool(claim["certified"]),
                "certifiers": [c["code"] or c["name"] for c in claim["certifiers"]],
                "ico_mark": marks.get((bag.shipment_id, lot.id)),
                "organization_name": organization.name,
                "locale": organization.locale,
            }
        )
    return labels


def _ico_marks(session: Session, org_id: int, bags: Sequence[Bag]) -> dict:
    """{(shipment id, lot id): ICO mark} for the shipments the bags are on, as on their
    packing lists (DOMAIN.md §6); a bag on no shipment has no mark yet."""
    shipment_ids = {bag.shipment_id for bag in bags if bag.shipment_id is not None}
    marks = {}
    for shipment in session.scalars(owned(Shipment, org_id).where(Shipment.id.in_(shipment_ids))):
        for lot_id, mark in ico_marks_by_lot(session, shipment).items():
            marks[(shipment.id, lot_id)] = mark
    return marks


def live_bags_of_lot(session: Session, org_id: int, code: str) -> list[Bag]:
    """The lot's bags that are not voided, by serial. Another organisation's lot raises
    NotFound, and so does a lot with no bag: there is nothing to label."""
    lot = get_lot(session, org_id, code)
    bags = list(
        session.scalars(
            owned(Bag, org_id)
            .where(Bag.lot_id == lot.id, Bag.voided_at.is_(None))
            .order_by(Bag.serial)
        )
    )
    if not bags:
        raise NotFound(
            str(_l("Lot %(code)s has no bags to label: fill bags from it first.", code=lot.code))
        )
    return bags


def labels_pdf(session: Session, org_id: int, bags: Sequence[Bag], layout: str) -> bytes:
    """The one entry point for routes: labels of `bags` as PDF bytes, `layout` "sheet" (A4,
    several per page) or "single" (one 100 × 150 mm page per bag)."""
    if layout not in LAYOUTS:
        raise DomainError(
            str(_l("Unknown label layout %(layout)s: use sheet or single.", layout=layout)),
            {"layout": [str(_l("Use sheet or single."))]},
        )
    if not bags:
        raise DomainError(str(_l("No bags to label.")))
    labels = bag_labels(session, org_id, bags)
    return render_label_sheet(labels) if layout == "sheet" else render_single_labels(labels)


def render_label_sheet(labels: list[dict]) -> bytes:
    """A4 pages of SHEET_COLUMNS × SHEET_ROWS labels with dashed cut lines."""
    per_page = SHEET_COLUMNS * SHEET_ROWS
    pages = [labels[i : i + per_page] for i in range(0, len(labels), per_page)]
    return _render("sheet", pages)


def render_single_labels(labels: list[dict]) -> bytes:
    """One 100 × 150 mm page per label, for a label printer."""
    return _render("single", [[label] for label in labels])


def product_name(crop: str, form: str) -> str:
    """The product as a buyer reads it: crop and form ("coffee · green", "pitahaya · fresh
    fruit"), or just the form when its translation already names the crop (Spanish "café
    verde", not "café · café verde")."""
    crop_word, form_word = _(crop), _(form)
    if crop_word.casefold() in form_word.casefold():
        return form_word
    return f"{crop_word} · {form_word}"


class InlinePngOnlyFetcher(RefuseAllFetcher):
    """RefuseAllFetcher, except for inline PNG images (the QR codes), decoded in memory: no
    file, no network, nothing but the bytes already in the URL."""

    def fetch(self, url, headers=None):
        if url.startswith(PNG_DATA_URL):
            try:
                png = base64.b64decode(url[len(PNG_DATA_URL) :], validate=True)
            except binascii.Error as exc:
                raise ValueError("malformed inline image") from exc
            return URLFetcherResponse(url, png, {"Content-Type": "image/png"})
        return super().fetch(url, headers)


def _render(layout: str, pages: list[list[dict]]) -> bytes:
    return render_pdf(
        TEMPLATE,
        url_fetcher=InlinePngOnlyFetcher(),
        locale=next((label["locale"] for page in pages for label in page), None),
        layout=layout,
        pages=pages,
        product=lambda label: product_name(label["crop"], label["product_form"]),
        L=LABELS,
        products=PRODUCTS,
    )
