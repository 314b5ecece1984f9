"""The dashboard that runs the collection centre: figures (figures.py, shipments.py) and
server-rendered SVG charts (charts.py), shown by core.dashboard (coopchain/views.py)."""
