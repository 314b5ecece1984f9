"""The lots blueprint: staff pages for deliveries, lots, transformations and bags. Routes live in
delivery_views.py (intake), lot_views.py (a lot and what is done with it), merge_views.py,
transformation_views.py and document_views.py (receipts, spreadsheets, the mass balance)."""

from flask import Blueprint

bp = Blueprint("lots", __name__)
