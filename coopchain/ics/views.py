"""Staff pages of the internal control system: record an inspection of a member, the yearly
report of who was inspected (and its .xlsx), and an inspector's yield explanation of a plot.
The rules are in inspections.py and explanations.py; these views fetch, call and send."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.clock import today
from coopchain.db import get_session
from coopchain.errors import DomainError
from coopchain.farms.plots import get_plot
from coopchain.farms.producers import get_producer
from coopchain.forms import handle_form
from coopchain.ics.blueprint import bp
from coopchain.ics.explanations import record_explanation
from coopchain.ics.inspections import inspection_report, inspections_of, record_inspection
from coopchain.ics.inspections_xlsx import inspection_workbook
from coopchain.ics.models import InspectionResult, Sanction
from coopchain.ics.schemas import ExplanationIn, InspectionIn
from coopchain.lots.mass_balance import plot_balances
from coopchain.web.downloads import send_xlsx


def requested_year() -> int:
    """?year= as a number; this year when missing or not a number (the report then says which
    year it shows)."""
    value = request.args.get("year", "")
    return int(value) if value.isdigit() and len(value) == 4 else today().year


@bp.get("/ics/inspections")
@requires(READ)
def inspection_report_page():
    report = inspection_report(get_session(), current_org_id(), requested_year())
    return render_template("ics/inspection_report.html", report=report)


@bp.get("/ics/inspections.xlsx")
@requires(READ)
def inspection_report_xlsx():
    report = inspection_report(get_session(), current_org_id(), requested_year())
    code = current_principal().organization_code
    return send_xlsx(inspection_workbook(report), f"ics-inspections-{code}-{report.year}.xlsx")


@bp.route("/producers/<int:producer_id>/inspections/new", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def inspection_new(producer_id: int):
    producer = get_producer(get_session(), current_org_id(), producer_id)

    def saved(row):
        flash(_("Inspection recorded."), "success")
        return redirect(url_for("ics.inspection_report_page", year=row.inspected_on.year))

    return handle_form(
        "ics/inspection_form.html",
        InspectionIn(),
        lambda data: record_inspection(
            get_session(), current_org_id(), current_user_id(), producer.id, data
        ),
        saved,
        defaults={"inspected_on": today().isoformat(), "sanction": "none"},
        producer=producer,
        history=inspections_of(get_session(), current_org_id(), producer.id),
        results=list(InspectionResult),
        sanctions=list(Sanction),
    )


@bp.route("/plots/<int:plot_id>/yield-explanations/new", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def yield_explanation_new(plot_id: int):
    plot = get_plot(get_session(), current_org_id(), plot_id)
    season = request.values.get("season") or str(today().year)
    try:
        balance = plot_balances(get_session(), current_org_id(), season, [plot.id]).get(plot.id)
    except DomainError:  # an unknown season: the form names the field when it is posted
        balance = None

    def saved(row):
        flash(_("Explanation recorded."), "success")
        return redirect(url_for("lots.mass_balance_report", season=row.season))

    return handle_form(
        "ics/explanation_form.html",
        ExplanationIn(),
        lambda data: record_explanation(
            get_session(), current_org_id(), current_user_id(), plot.id, data
        ),
        saved,
        defaults={"season": season, "explained_on": today().isoformat()},
        plot=plot,
        balance=balance,
    )
