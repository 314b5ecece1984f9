"""The forest pages: the summary (how many plots are deforestation-free, at risk or lacking
evidence) with its .xlsx, dataset registration and raster assessments with their progress
(issue: forest evidence). Routes on the farms blueprint; the rules live in forest_assessment.py
and forest_summary.py.

An admin's "Run assessment" records the assessment and a job (forest/assessment_jobs.py) in
the request and answers at once with the job's progress page; a `coopchain worker` measures it
batch by batch. A worker killed mid-run loses nothing: another takes the job over when its
lease runs out (coopchain/jobs.py). A failed assessment can still be resumed by an admin.
"""

from flask import flash, redirect, render_template, request, url_for
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
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError, NotFound
from coopchain.farms.blueprint import bp
from coopchain.forest import assessment as fa
from coopchain.forest import assessment_jobs
from coopchain.forest.datasets import list_datasets, register_dataset
from coopchain.forest.evidence_views import parse_date
from coopchain.forest.models import AssessmentStatus
from coopchain.forest.raster_tiles import DatasetKind
from coopchain.forest.schemas import AssessmentStartIn
from coopchain.forest.summary import overview, summary_xlsx
from coopchain.forms import form_errors, load_form
from coopchain.web.downloads import send_xlsx


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
    job = assessment_jobs.submit(
        get_session(), principal.organization_id, principal.user_id, assessment.id
    )
    return redirect(url_for("core.job_detail", job_id=job.id))


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
    job = assessment_jobs.submit(
        get_session(), principal.organization_id, principal.user_id, assessment_id
    )
    return redirect(url_for("core.job_detail", job_id=job.id))


# Stored shares (0–1) as percentages in the evidence history and the summary.
bp.add_app_template_global(fa.share_pct, "share_pct")
