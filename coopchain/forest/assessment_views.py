"""The forest pages: the summary (how many plots are deforestation-free, at risk or lacking
evidence) with its .xlsx, dataset registration and raster assessments with their progress
(issue: forest evidence). Routes on the farms blueprint; the rules live in forest_assessment.py
and forest_summary.py.

An admin's "Run assessment" records the assessment in the request, which commits it; once
the response is sent, a background thread of that worker measures it batch by batch; the
progress page reads the
committed progress, so any worker can show it. If that worker stops, the assessment stays
"running" without moving and an admin resumes it (the run continues with the plots not yet
measured). Tests run it in the request instead (FOREST_ASSESS_IN_BACKGROUND off).
"""

import logging
import threading

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from coopchain.auth.access import (
    ADMIN,
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    requires,
)
from coopchain.clock import today
from coopchain.db import database, discard_changes, get_session
from coopchain.errors import DomainError, NotFound
from coopchain.farms.blueprint import bp
from coopchain.forest import assessment as fa
from coopchain.forest.datasets import list_datasets, register_dataset
from coopchain.forest.evidence_views import parse_date
from coopchain.forest.models import AssessmentStatus
from coopchain.forest.raster_tiles import DatasetKind
from coopchain.forest.schemas import AssessmentStartIn
from coopchain.forest.summary import overview, summary_xlsx
from coopchain.forms import form_errors, load_form
from coopchain.web.downloads import send_xlsx

log = logging.getLogger(__name__)


@bp.get("/forest")
@requires(READ)
def forest_overview():
    db = get_session()
    return render_template(
        "farms/forest_overview.html",
        summary=overview(db, current_org_id()),
        datasets=list_datasets(db, current_org_id()),
        assessments=fa.list_assessments(db, current_org_id(), limit=10),
        is_admin=current_principal().role in ADMIN,
        can_write=current_principal().role in REGISTRY_WRITE,
    )


@bp.get("/forest/summary.xlsx")
@requires(READ)
def forest_summary_xlsx():
    return send_xlsx(
        summary_xlsx(get_session(), current_org_id()), f"forest-{today().isoformat()}.xlsx"
    )


def _dataset_form(values=None, errors=None, status=200):
    return render_template(
        "farms/forest_dataset_form.html",
        kinds=list(DatasetKind),
        values=values or {"downloaded_on": today().isoformat()},
        errors=errors or {},
        max_date=today().isoformat(),
    ), status


@bp.route("/forest/datasets/new", methods=["GET", "POST"])
@requires(ADMIN)
def forest_dataset_new():
    if request.method == "GET":
        return _dataset_form()
    values = {
        name: request.form.get(name, "") for name in ("kind", "version", "paths", "downloaded_on")
    }
    data = dict(
        values,
        paths=values["paths"].splitlines(),
        downloaded_on=parse_date(values["downloaded_on"]),
    )
    try:
        dataset = register_dataset(
            get_session(), current_org_id(), current_principal().user_id, data
        )
    except DomainError as exc:
        discard_changes()
        return _dataset_form(values, form_errors(exc), 422)
    flash(_("Dataset registered: %(n)s tile(s) checked.", n=dataset.tile_count), "success")
    return redirect(url_for("farms.forest_overview"))


def _run(app, org_id: int, assessment_id: int) -> None:
    with app.app_context():
        try:
            fa.run_assessment(database().sessionmaker, org_id, assessment_id)
        except DomainError as exc:  # recorded on the assessment as failed
            log.warning("Forest assessment %s failed: %s", assessment_id, exc.message)
        except Exception:
            log.exception("Forest assessment %s stopped", assessment_id)


def _run_after_commit(response, org_id: int, assessment_id: int):
    """Measure the assessment once the request has committed it: in a background thread after
    the response is sent (the thread reads the committed row; DESIGN.md §6, side effects after
    commit), or — in tests, where every session shares one connection — right here."""
    app = current_app._get_current_object()
    if not app.config["FOREST_ASSESS_IN_BACKGROUND"]:
        _run(app, org_id, assessment_id)
        return response

    def start() -> None:
        name = f"forest-assessment-{assessment_id}"
        threading.Thread(
            target=_run, args=(app, org_id, assessment_id), name=name, daemon=True
        ).start()

    response.call_on_close(start)
    return response


def _flash_refusal(exc: DomainError) -> None:
    flash(" ".join([exc.message] + [m for ms in exc.fields.values() for m in ms]), "error")


def _messages(errors) -> list[str]:
    """marshmallow's messages, nested per list item ({"dataset_ids": {0: [...]}}), in one list."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)]


@bp.post("/forest/assessments")
@requires(ADMIN)
def forest_assessment_start():
    principal = current_principal()
    try:
        data = load_form(AssessmentStartIn(), list_fields=("dataset_ids",))
    except ValidationError as exc:
        flash(" ".join(dict.fromkeys(_messages(exc.messages))), "error")
        return redirect(url_for("farms.forest_overview"))
    try:
        assessment = fa.start_assessment(
            get_session(),
            principal.organization_id,
            principal.user_id,
            data["dataset_ids"],
            None,
            data["canopy_threshold_pct"],
        )
    except DomainError as exc:
        discard_changes()
        _flash_refusal(exc)
        return redirect(url_for("farms.forest_overview"))
    response = redirect(url_for("farms.forest_assessment_detail", assessment_id=assessment.id))
    return _run_after_commit(response, principal.organization_id, assessment.id)


@bp.get("/forest/assessments/<int:assessment_id>")
@requires(READ)
def forest_assessment_detail(assessment_id: int):
    assessment = fa.get_assessment(get_session(), current_org_id(), assessment_id)
    running = assessment.status == AssessmentStatus.RUNNING
    stale = fa.is_stale(assessment)
    return render_template(
        "farms/forest_assessment.html",
        assessment=assessment,
        running=running and not stale,
        stale=stale,
        results=fa.assessment_results(get_session(), assessment),
        is_admin=current_principal().role in ADMIN,
    )


@bp.post("/forest/assessments/<int:assessment_id>/resume")
@requires(ADMIN)
def forest_assessment_resume(assessment_id: int):
    principal = current_principal()
    try:
        fa.resume_assessment(
            get_session(), principal.organization_id, principal.user_id, assessment_id
        )
    except NotFound:
        raise  # another organisation's assessment: 404, not a message
    except DomainError as exc:
        discard_changes()
        _flash_refusal(exc)
        return redirect(url_for("farms.forest_assessment_detail", assessment_id=assessment_id))
    response = redirect(url_for("farms.forest_assessment_detail", assessment_id=assessment_id))
    return _run_after_commit(response, principal.organization_id, assessment_id)


# Stored shares (0–1) as percentages in the evidence history and the summary.
bp.add_app_template_global(fa.share_pct, "share_pct")
