"""A plot's forest evidence page: the history (voided entries included) and the forms to record
manual or field evidence and to void a wrong entry (issue: shipments, until rasters do it).

Routes on the farms blueprint; the rules live in farms/forest.py (DOMAIN.md §2: no loss after
2020-12-31). A refused form answers 4xx with the page, so nothing half-done is committed.
"""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.clock import today
from coopchain.db import get_session, in_organization
from coopchain.errors import DomainError, NotFound
from coopchain.farms import plots, producers
from coopchain.farms.blueprint import bp
from coopchain.farms.models import ForestEvidence, ForestResult
from coopchain.forest import evidence as forest
from coopchain.forms import form_errors

FORM_FIELDS = ("kind", "result", "source", "observed_on", "loss_after_cutoff_ha", "notes")


def _page(plot_id: int, *, action=None, values=None, errors=None, status=200):
    db = get_session()
    plot = plots.get_plot(db, current_org_id(), plot_id)
    producer = producers.get_producer(db, current_org_id(), plot.producer_id)
    history = forest.evidence_of(db, current_org_id(), plot.id)
    latest = forest.latest_evidence(db, current_org_id(), [plot.id]).get(plot.id)
    return render_template(
        "farms/forest_evidence.html",
        plot=plot,
        producer=producer,
        history=history,
        latest=latest,
        kinds=forest.HAND_KINDS,
        results=list(ForestResult),
        can_write=current_principal().role in REGISTRY_WRITE,
        action=action,
        values=values or {"kind": "manual", "observed_on": today().isoformat()},
        errors=errors or {},
        max_date=today().isoformat(),
    ), status


def parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


@bp.get("/plots/<int:plot_id>/forest-evidence")
@requires(READ)
def plot_forest_evidence(plot_id: int):
    return _page(plot_id)


@bp.post("/plots/<int:plot_id>/forest-evidence")
@requires(REGISTRY_WRITE)
def forest_evidence_record(plot_id: int):
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    data = dict(values, observed_on=parse_date(values["observed_on"]))
    try:
        forest.record_evidence(get_session(), current_org_id(), current_user_id(), plot_id, data)
    except NotFound:
        raise
    except DomainError as exc:
        errors = form_errors(exc)
        return _page(plot_id, action="record", values=values, errors=errors, status=exc.status)
    flash(_("Forest evidence recorded."), "success")
    return redirect(url_for("farms.plot_forest_evidence", plot_id=plot_id))


@bp.post("/plots/<int:plot_id>/forest-evidence/<int:evidence_id>/void")
@requires(REGISTRY_WRITE)
def forest_evidence_void(plot_id: int, evidence_id: int):
    db = get_session()
    # Scoped in the query itself, so another organisation's row is never loaded at all.
    found = db.scalar(
        select(ForestEvidence.id).where(
            ForestEvidence.id == evidence_id,
            in_organization(ForestEvidence, current_org_id()),
            ForestEvidence.plot_id == plot_id,
        )
    )
    if found is None:
        raise NotFound(_("No such forest evidence."))
    try:
        forest.void_evidence(
            db, current_org_id(), current_user_id(), evidence_id, request.form.get("reason", "")
        )
    except DomainError as exc:
        errors = form_errors(exc)
        return _page(plot_id, action=f"void-{evidence_id}", errors=errors, status=exc.status)
    flash(_("Forest evidence voided."), "success")
    return redirect(url_for("farms.plot_forest_evidence", plot_id=plot_id))
