"""/r/<token>: the public check of a payment receipt, what its QR code opens.

It shows what anyone holding the paper may confirm — amount, currency, date, cooperative and
whether the payment stands or was voided — and nothing about the person paid. No login, no
cookie, no script; every unknown token gets the same 404 page, so guessing teaches nothing.
"""

from flask import current_app, make_response
from flask_babel import get_locale

from coopchain import formatting
from coopchain.auth.access import public
from coopchain.auth.models import Organization
from coopchain.db import get_session
from coopchain.payments.blueprint import public_bp
from coopchain.payments.queries import payment_by_token

#: The public trace pages' policy: nothing loads from anywhere, styles inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _render(template: str, **context) -> str:
    # Rendered without the app's context processors: they read the login session, and this
    # page must not depend on (or set) a cookie.
    return current_app.jinja_env.get_template(template).render(
        lang=str(get_locale()), **formatting.TEMPLATE_HELPERS, **context
    )


def _headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Content-Language"] = str(get_locale())
    response.headers["Vary"] = "Accept-Language"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@public_bp.get("/r/<token>")
@public
def receipt_check(token: str):
    payment = payment_by_token(get_session(), token)
    if payment is None:
        return _headers(make_response(_render("payments/public_receipt_unknown.html"), 404))
    organization = get_session().get(Organization, payment.organization_id)
    formatting.use_locale(organization.locale)
    body = _render(
        "payments/public_receipt.html",
        organization_name=organization.name,
        receipt_number=payment.number,
        amount=payment.amount,
        currency=payment.currency,
        paid_on=payment.paid_on,
        voided=payment.voided_at is not None,
        voided_on=payment.voided_at.date() if payment.voided_at else None,
    )
    return _headers(make_response(body))
