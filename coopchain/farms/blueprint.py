"""The farms blueprint: producers, agreements and plots (views.py) and the forest pages
(coopchain/forest/)."""

from flask import Blueprint

bp = Blueprint("farms", __name__)
