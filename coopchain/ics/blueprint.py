"""The internal control system's staff pages (views.py): inspections of members, the yearly
inspection report, and yield explanations of plots. Its JSON API is in api.py."""

from flask import Blueprint

bp = Blueprint("ics", __name__)
