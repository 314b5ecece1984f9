"""The quality blueprint: staff pages for cupping sessions and gradings. Routes live in
session_views.py, sheet_views.py, grading_views.py and document_views.py."""

from flask import Blueprint

from coopchain.auth.access import QUALITY_WRITE, current_principal

bp = Blueprint("quality", __name__)


def can_score() -> bool:
    return current_principal().role in QUALITY_WRITE
