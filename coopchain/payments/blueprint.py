"""The payments blueprints: staff pages (views.py) and the public receipt check (public_views.py,
a blueprint of its own so no cookie is set there: extensions.COOKIELESS_PAGES)."""

from flask import Blueprint

bp = Blueprint("payments", __name__)
public_bp = Blueprint("payment_receipts", __name__)
