"""The intake form as a progressive web app: its service worker and manifest, the producer and
plot lists a device keeps for a day without a connection, and the endpoint the device sends
its queued tickets to (offline_intake.py holds the rules; static/intake_offline.js the device).

The service worker is served from /deliveries/ so that its scope covers the intake form (a
worker's scope cannot reach above its own path); it is a same-origin file of static/, since
the staff CSP allows no inline or foreign scripts.
"""

from flask import current_app, jsonify, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    current_user_id,
    public,
    requires,
)
from coopchain.clock import utcnow
from coopchain.db import get_session
from coopchain.errors import DomainError
from coopchain.lots.blueprint import bp
from coopchain.lots.offline_intake import offline_lists, send_tickets


@bp.get("/deliveries/intake-sw.js")
@public
def intake_service_worker():
    response = send_from_directory(
        current_app.static_folder, "intake_sw.js", mimetype="text/javascript", max_age=0
    )
    # Browsers look for a new worker on every visit; the scope is this folder (/deliveries/).
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/deliveries/intake.webmanifest")
@public
def intake_manifest():
    """The web app manifest (no cookie reaches it: the browser fetches it without
    credentials, so it is public and in the default language)."""
    manifest = {
        "name": _("CoopChain intake"),
        "short_name": _("Intake"),
        "description": _("Intake tickets that keep working without a connection."),
        "lang": request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "es",
        "start_url": url_for("lots.delivery_new"),
        "scope": url_for("lots.delivery_list") + "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#2f5d3a",
        "icons": [
            {
                "src": url_for("static", filename="favicon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
    }
    response = jsonify(manifest)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/deliveries/offline-data")
@requires(READ)
def offline_data():
    """What the device keeps: the active producers and their plots, the organisation they
    belong to, and a fresh CSRF token for sending (refreshed whenever the device is online)."""
    principal = current_principal()
    response = jsonify(
        organization=principal.organization_code,
        producers=offline_lists(get_session(), principal.organization_id),
        csrf_token=generate_csrf(),
        fetched_at=utcnow().isoformat(),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/deliveries/offline-send")
@requires(REGISTRY_WRITE)
def offline_send():
    """Record queued tickets: {"tickets": [...]} → {"results": [...]} in the same order. The
    CSRF token travels in the X-CSRFToken header (Flask-WTF checks it before this view)."""
    body = request.get_json(silent=True)
    tickets = body.get("tickets") if isinstance(body, dict) else None
    principal = current_principal()
    try:
        results = send_tickets(
            get_session(), current_org_id(), principal.organization_code, current_user_id(), tickets
        )
    except DomainError as exc:
        return jsonify(error=exc.code, message=exc.message, fields=exc.fields), exc.status
    for result in results:
        if result["status"] == "recorded":
            result["detail_url"] = url_for(
                "lots.delivery_detail", delivery_id=result["delivery_id"]
            )
            result["receipt_url"] = url_for(
                "lots.delivery_receipt", delivery_id=result["delivery_id"]
            )
    return jsonify(results=results)
