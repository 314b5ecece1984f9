"""Staff pages for cupping sessions and gradings (one blueprint; routes live in
session_views.py, sheet_views.py, grading_views.py and document_views.py)."""

from flask import Blueprint

from coopchain.auth.access import QUALITY_WRITE, current_principal

bp = Blueprint("quality", __name__)


def can_score() -> bool:
    return current_principal().role in QUALITY_WRITE


# Routes register themselves on import; keep these after the blueprint exists.
from coopchain.quality import document_views as _document_views  # noqa: E402,F401
from coopchain.quality import grading_views as _grading_views  # noqa: E402,F401
from coopchain.quality import session_views as _session_views  # noqa: E402,F401
from coopchain.quality import sheet_views as _sheet_views  # noqa: E402,F401
