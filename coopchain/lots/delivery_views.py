"""Intake pages: deliveries (filled in by the delivery views)."""

from coopchain.lots.views import bp  # noqa: F401
