"""Security headers on every response (issue: trust): a Content-Security-Policy that lets the
pages run only the app's own scripts and the inline ones carrying this response's nonce, no
framing, no MIME sniffing, no referrer to other sites. The public trace pages set a stricter
policy of their own (trace/public_views.py), which is kept."""

import secrets

from flask import Flask, g

#: Styles may be inline (style attributes in the templates); scripts never without the nonce.
STAFF_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def csp_nonce() -> str:
    """This response's script nonce (templates: <script nonce="{{ csp_nonce() }}">)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _secure(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", STAFF_POLICY.format(nonce=csp_nonce()))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
    app.add_template_global(csp_nonce)
