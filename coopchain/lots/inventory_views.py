"""The season inventory page and its .xlsx (the report is built in inventory.py; these views
only fetch, call and send), and the same as JSON under /api/v1."""

from dataclasses import asdict

from flask import flash, jsonify, redirect, render_template, request, url_for

from coopchain.auth.access import READ, api_requires, current_org_id, current_principal, requires
from coopchain.clock import today
from coopchain.db import get_session
from coopchain.errors import DomainError
from coopchain.lots.api_documents import _plain
from coopchain.lots.blueprint import bp
from coopchain.lots.inventory import INFLOWS, OUTFLOWS, season_inventory
from coopchain.lots.inventory_xlsx import inventory_workbook
from coopchain.lots.mass_balance import seasons
from coopchain.web.api import api_blueprint, document
from coopchain.web.downloads import send_xlsx

document(
    "/api/v1/reports/inventory",
    "get",
    "Season inventory per product form and organic status, per lot, with every non-zero "
    "difference named by lot, for ?season=",
)
document("/api/v1/reports/inventory.xlsx", "get", "The season inventory as .xlsx")


def _report():
    available = seasons(get_session(), current_org_id())
    season = request.args.get("season") or (available[0] if available else str(today().year))
    return season_inventory(get_session(), current_org_id(), season), available


def _filename(report) -> str:
    return f"inventory-{current_principal().organization_code}-{report.season}.xlsx"


@bp.get("/reports/inventory")
@requires(READ)
def inventory_report():
    try:
        report, available = _report()
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("lots.inventory_report"))
    return render_template(
        "lots/inventory.html",
        report=report,
        seasons=available,
        inflows=INFLOWS,
        outflows=OUTFLOWS,
    )


@bp.get("/reports/inventory.xlsx")
@requires(READ)
def inventory_xlsx():
    report, _available = _report()
    return send_xlsx(inventory_workbook(report), _filename(report))


@api_blueprint.get("/reports/inventory")
@api_requires(READ)
def reports_inventory():
    report, _available = _report()
    body = _plain(asdict(report))
    body["balanced"] = report.balanced
    for key, items in (("rows", report.rows), ("lots", report.lots)):
        for out, item in zip(body[key], items, strict=True):
            out["difference_kg"] = str(item.difference_kg)
    return jsonify(body)


@api_blueprint.get("/reports/inventory.xlsx")
@api_requires(READ)
def reports_inventory_export():
    report, _available = _report()
    return send_xlsx(inventory_workbook(report), _filename(report))
