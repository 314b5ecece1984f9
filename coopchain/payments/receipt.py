"""The payment receipt a producer takes home: 80 mm thermal roll, with a QR code that opens the
public check of the receipt (/r/<token>: amount, date, cooperative and status, no names).

As for the intake receipt (lots/receipt.py): `payment_receipt_context` reads the database into a
plain dict, `render_payment_receipt` turns it into PDF bytes touching nothing else.
"""

from urllib.parse import quote

from markupsafe import Markup
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.clock import utcnow
from coopchain.payments.core import get_payment
from coopchain.payments.queries import lines_of, producer_of
from coopchain.pdf import render_pdf
from coopchain.public_url import public_base_url
from coopchain.trace.qr import qr_svg

TEMPLATE = "pdf/payment_receipt.html"


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
    """The receipt as PDF bytes, in the current Babel locale."""
    return render_pdf(TEMPLATE, r=context, locale=context.get("locale"))
