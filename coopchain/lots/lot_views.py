"""Lot pages (filled in by the lot views)."""

from coopchain.lots.views import bp  # noqa: F401
