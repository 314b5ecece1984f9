"""Staff pages for deliveries, lots, transformations and bags (one blueprint, two modules:
delivery_views.py for intake, lot_views.py for lots and what is done with them)."""

from flask import Blueprint

bp = Blueprint("lots", __name__)

# Routes register themselves on import; keep these after the blueprint exists.
from coopchain.lots import delivery_views as _delivery_views  # noqa: E402,F401
from coopchain.lots import document_views as _document_views  # noqa: E402,F401
from coopchain.lots import lot_views as _lot_views  # noqa: E402,F401
