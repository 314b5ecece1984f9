"""The search page: one box, results grouped by what they are, each a link."""

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from coopchain.auth.access import READ, current_principal, requires
from coopchain.db import get_session
from coopchain.schemas import PageSchema
from coopchain.search.services import GROUP_LIMIT, search_all
from coopchain.views import bp

GROUP_TITLES = {
    "producers": _l("Producers"),
    "lots": _l("Lots"),
    "bags": _l("Bags"),
    "deliveries": _l("Deliveries"),
    "shipments": _l("Shipments"),
}


@bp.get("/search")
@requires(READ)
def search():
    """Producers, lots, bags, tickets and shipments matching `q`, accents and case aside."""
    raw = request.args.get("q", "")
    errors = PageSchema().validate({"q": raw})  # a control character finds nothing
    q = "" if errors else raw.strip()
    principal = current_principal()
    groups = (
        search_all(get_session(), principal.organization_id, q, principal.sees_private_data)
        if q
        else []
    )
    return render_template(
        "search/results.html",
        q=q,
        groups=groups,
        limit=GROUP_LIMIT,
        searched=bool(q),
        titles=GROUP_TITLES,
    )
