"""The payment receipt a producer takes home: 80 mm thermal roll, with a QR code that opens the
public check of the receipt (/r/<token>: amount, date, cooperative and status, no names).

As for the intake receipt (lots/receipt.py): `payment_receipt_context` reads the database into a
plain dict, `render_payment_receipt` turns it into PDF bytes touching nothing else.
"""

from decimal import ROUND_UP, Decimal
from urllib.parse import quote

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup
from sqlmodel import Session
from weasyprint import HTML

from coopchain.auth.models import Organization
from coopchain.clock import utcnow
from coopchain.formatting import TEMPLATE_HELPERS, use_locale
from coopchain.payments.core import get_payment
from coopchain.payments.queries import lines_of, producer_of
from coopchain.pdf import RefuseAllFetcher
from coopchain.public_url import public_base_url
from coopchain.trace.qr import qr_svg

TEMPLATE = "pdf/payment_receipt.html"
#: CSS px are 1/96 inch.
MM_PER_PX = Decimal("25.4") / Decimal("96")
_DRAFT_HEIGHT_MM = Decimal("2000")
_MIN_HEIGHT_MM = Decimal("60")
#: The page's bottom margin (the top one is inside the measured position).
_MARGIN_MM = Decimal("4")


def receipt_url(token: str) -> str:
    """The public check of a receipt, where its QR code leads: {PUBLIC_BASE_URL}/r/<token>."""
    return f"{public_base_url()}/r/{quote(token, safe='')}"


def payment_receipt_context(session: Session, org_id: int, number: str) -> dict:
    payment = get_payment(session, org_id, number)
    organization = session.get(Organization, org_id)
    producer = producer_of(session, payment)
    url = receipt_url(payment.receipt_token)
    return {
        "organization_name": organization.name,
        "organization_code": organization.code,
        "locale": organization.locale,
        "number": payment.number,
        "paid_on": payment.paid_on,
        "producer_code": producer.member_code,
        "producer_name": producer.full_name,
        "amount": payment.amount,
        "currency": payment.currency,
        "method": payment.method,
        # Only the last four digits of an account on paper that leaves the office.
        "cci_tail": payment.cci[-4:] if payment.cci else None,
        "reference": payment.reference,
        "lines": lines_of(session, payment),
        "voided": payment.voided_at is not None,
        "void_reason": payment.void_reason,
        "url": url,
        # qr_svg writes only numbers and fixed markup (never the text it encodes): safe markup.
        "qr": Markup(qr_svg(url)),  # noqa: S704
        "printed_at": utcnow(),
    }


def render_payment_receipt(context: dict) -> bytes:
    """The receipt as PDF bytes, in the current Babel locale, on one page as long as its lines.

    A roll has no page length, but WeasyPrint has no `size: 80mm auto`: the receipt is laid out
    once on a long page, measured, and laid out again on a page of exactly that length."""
    if context.get("locale"):
        use_locale(context["locale"])
    template = current_app.jinja_env.get_template(TEMPLATE)

    def layout(height_mm: Decimal):
        html = template.render(
            lang=str(get_locale()), r=context, page_height_mm=height_mm, **TEMPLATE_HELPERS
        )
        return HTML(string=html, url_fetcher=RefuseAllFetcher()).render()

    draft = layout(_DRAFT_HEIGHT_MM)
    root = draft.pages[0]._page_box.children[0]  # the <html> box, page margin above it
    used_px = root.position_y + root.margin_height()
    height = (Decimal(str(used_px)) * MM_PER_PX + _MARGIN_MM).quantize(Decimal("1"), ROUND_UP)
    return layout(max(height, _MIN_HEIGHT_MM)).write_pdf()
