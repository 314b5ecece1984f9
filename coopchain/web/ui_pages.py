"""Pages about the interface itself: the style guide (every shared component rendered from the
real stylesheet, so it doubles as a visual regression page) and the favicon browsers ask for."""

from decimal import Decimal

from flask import current_app, render_template, send_from_directory
from flask_babel import lazy_gettext as _l

from coopchain.auth.access import READ, public, requires
from coopchain.farms.models import ProducerStatus
from coopchain.views import bp

#: A week: the icon changes with a release at most, and every page load would otherwise ask.
FAVICON_MAX_AGE = 7 * 24 * 3600


@bp.get("/favicon.ico")
@public
def favicon():
    return send_from_directory(
        current_app.static_folder,
        "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        max_age=FAVICON_MAX_AGE,
    )


def _sample_rows() -> list[dict]:
    """A short, made-up list for the table component (no organisation's data on this page)."""
    return [
        {
            "code": "CAF-0001",
            "name": "Rosa Vásquez Huamán",
            "community": "Alto Naranjillo",
            "status": "organic",
            "kg": Decimal("1204.5"),
        },
        {
            "code": "CAF-0002",
            "name": "Julio Tapia Guevara",
            "community": "Santa Rosa",
            "status": "in_conversion",
            "kg": Decimal("318"),
        },
        {
            "code": "PIT-0003",
            "name": "Maritza Cieza Ramos",
            "community": "Aguas Claras",
            "status": "conventional",
            "kg": Decimal("86.25"),
        },
    ]


#: The badge set: each tone with the statuses that use it (the status words are translated).
BADGE_TONES = (
    ("ok", _l("Good"), ("organic", "valid", "active", "available")),
    ("warn", _l("Needs attention"), ("in_conversion", "warning")),
    ("bad", _l("Problem"), ("revoked", "blocking", "suspended")),
    ("info", _l("Information"), ()),
    ("neutral", _l("Neutral"), ("conventional",)),
)


@bp.get("/styleguide")
@requires(READ)
def styleguide():
    return render_template(
        "styleguide.html",
        rows=_sample_rows(),
        tones=BADGE_TONES,
        producer_statuses=list(ProducerStatus),
        values={"name": "Rosa Vásquez", "area": "1,2,3", "status": "active"},
        errors={"area": ["Not a valid number."]},
    )
