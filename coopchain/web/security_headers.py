"""Security headers on every response (issue: trust): a Content-Security-Policy that lets the
pages run only the app's own scripts and the inline ones carrying this response's nonce, no
framing, no MIME sniffing, no referrer to other sites. The public trace pages set a stricter
policy of their own (trace/public_views.py), which is kept."""

import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g

#: Styles may be inline (style attributes in the templates); scripts never without the nonce.
STAFF_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:{tiles}; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def csp_nonce() -> str:
    """This response's script nonce (templates: <script nonce="{{ csp_nonce() }}">)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def tile_sources(config) -> str:
    """The configured basemap hosts as CSP sources (" https://tile.openstreetmap.org"): the
    staff maps may load tile images from there and nowhere else. A Leaflet subdomain
    placeholder ({s}.tile.example.org) becomes a wildcard (*.tile.example.org)."""
    sources = []
    for key in ("MAP_TILES", "MAP_SATELLITE_TILES"):
        parts = urlsplit(config.get(key) or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            host = parts.netloc.replace("{s}", "*")
            if "{" not in host and f"{parts.scheme}://{host}" not in sources:
                sources.append(f"{parts.scheme}://{host}")
    return "".join(f" {source}" for source in sources)


def _secure(response):
    headers = response.headers
    if "Content-Security-Policy" not in headers:  # public pages set their own: no nonce to make
        policy = STAFF_POLICY.format(nonce=csp_nonce(), tiles=tile_sources(current_app.config))
        headers["Content-Security-Policy"] = policy
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
    app.add_template_global(csp_nonce)
