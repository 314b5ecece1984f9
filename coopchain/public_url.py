"""The address the public reaches the app at, for QR codes, labels and certificate footers.

In production it is the `PUBLIC_BASE_URL` setting and nothing else: a label printed with the
address a request happened to arrive on (an internal host, a proxy's port) would send every
buyer who scans it nowhere, so without the setting labels and certificates are refused. In the
demo and the tests the app serves itself: the address follows the request (`make run` on port
5101 prints QR codes for port 5101), or the configured host and port outside a request.
"""

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l

from coopchain.errors import DomainError

#: Addresses a server listens on that nobody can type into a browser or a phone.
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}  # noqa: S104  (names, not a bind)


class PublicBaseUrlMissing(DomainError):
    """Production without PUBLIC_BASE_URL: nothing that prints a public address is issued."""

    code = "public_base_url_missing"
    status = 409


def serving_base_url(config) -> str:
    """The demo's own address outside a request: http://HOST:PORT as `coopchain run` serves."""
    host = str(config.get("SERVE_HOST") or "127.0.0.1")
    if host in WILDCARD_HOSTS:
        host = "localhost"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{int(config.get('SERVE_PORT') or 5000)}"


def public_base_url() -> str:
    """Scheme and host (and path) of the public pages, without a trailing slash.

    Raises PublicBaseUrlMissing in production when the setting is empty."""
    config = current_app.config
    configured = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    if config.get("COOPCHAIN_ENV") not in {"demo", "test"}:
        raise PublicBaseUrlMissing(
            str(
                _l(
                    "The public address is not configured: set COOPCHAIN_PUBLIC_BASE_URL "
                    "(e.g. https://trace.example.coop) before printing labels, QR codes or "
                    "certificates, so that what is printed leads buyers to this server."
                )
            )
        )
    if has_request_context():
        return request.host_url.rstrip("/")
    return serving_base_url(config)
