"""The staff pages for settlements, producer statements and the money reports (views import
it; nothing imports back)."""

from flask import Blueprint

bp = Blueprint("settle", __name__)
