"""The EUDR staff blueprint: views.py and account_views.py add their routes to it."""

from flask import Blueprint

bp = Blueprint("eudr", __name__)
