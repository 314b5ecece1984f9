"""Staff pages for the farm registry: producers, agreements, visits, plots, import, export."""

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError, fields

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.clock import today
from coopchain.db import discard_changes, get_session, settings_of
from coopchain.errors import DomainError
from coopchain.farms.agreements import (
    add_visit,
    agreement_producer_ids,
    agreements_in_force,
    agreements_of_producer,
    create_agreement,
    get_agreement,
    set_agreement_status,
    visits_of,
)
from coopchain.farms.attention import CAUSES, plots_needing_attention
from coopchain.farms.blueprint import bp
from coopchain.farms.certifiers import list_certifiers
from coopchain.farms.models import (
    AgreementKind,
    AgreementStatus,
    Commitment,
    Crop,
    ProducerStatus,
    Sex,
    VisitResult,
)
from coopchain.farms.plots import (
    PLOT_FIELDS,
    create_plot,
    get_plot,
    plot_organic_status,
    plots_of_producers,
    update_plot,
)
from coopchain.farms.producers import (
    PRODUCER_FIELDS,
    create_producer,
    get_producer,
    next_member_code,
    producer_by_code,
    search_producers,
    update_producer,
)
from coopchain.farms.registry_export import export_registry
from coopchain.farms.registry_xlsx import (
    ImportFailed,
    import_registry,
    sheet_specs,
)
from coopchain.farms.rules import organic_since
from coopchain.farms.schemas import AgreementIn, AgreementStatusIn, PlotIn, ProducerIn, VisitIn
from coopchain.forms import handle_form
from coopchain.schemas import PageSchema
from coopchain.spreadsheets import SpreadsheetError, import_jobs, template_workbook
from coopchain.web.downloads import send_xlsx

CHOICES = {
    "sex": Sex,
    "status": ProducerStatus,
    "crop": Crop,
    "kind": AgreementKind,
    "agreement_status": AgreementStatus,
    "commitments": Commitment,
    "result": VisitResult,
}


@bp.get("/producers")
@requires(READ)
def producer_list():
    try:
        args = PageSchema().load(request.args.to_dict())
    except ValidationError:
        args = {"page": 1, "per_page": 25, "q": None}
    producers, total = search_producers(
        get_session(),
        current_org_id(),
        args["q"],
        args["page"],
        args["per_page"],
        private=current_principal().sees_private_data,
    )
    pages = max(1, -(-total // args["per_page"]))
    return render_template(
        "farms/producer_list.html",
        producers=producers,
        total=total,
        page=args["page"],
        pages=pages,
        q=args["q"] or "",
    )


@bp.get("/producers/<int:producer_id>")
@requires(READ)
def producer_detail(producer_id: int):
    db, org = get_session(), current_org_id()
    producer = get_producer(db, org, producer_id)
    agreements = agreements_of_producer(db, org, producer.id)
    visits = visits_of(db, org, [a.id for a in agreements])
    plots = plots_of_producers(db, org, [producer.id])
    on = today()
    in_force = agreements_in_force(db, agreements, on)
    return render_template(
        "farms/producer_detail.html",
        producer=producer,
        agreements=[(a, visits[a.id], in_force[a.id]) for a in agreements],
        plots=[
            (p, plot_organic_status(p, on), organic_since(p.organic_conversion_start))
            for p in plots
        ],
    )


@bp.get("/plots/attention")
@requires(READ)
def plots_attention():
    cause = request.args.get("cause") or None
    if cause is not None and cause not in CAUSES:
        abort(400, description=_("cause: must be one of %(causes)s.", causes=", ".join(CAUSES)))
    db = get_session()
    attention = plots_needing_attention(
        db, current_org_id(), today(), settings_of(db).certificate_warning_days
    )
    return render_template(
        "farms/plots_attention.html",
        attention=attention,
        cause=cause,
        rows=attention.with_cause(cause),
        causes=CAUSES,
    )


@bp.route("/producers/new", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def producer_new():
    return handle_form(
        "farms/producer_form.html",
        ProducerIn(),
        lambda data: create_producer(get_session(), current_org_id(), current_user_id(), data),
        lambda producer: redirect(url_for("farms.producer_detail", producer_id=producer.id)),
        defaults={
            "status": "active",
            "joined_on": today().isoformat(),
            "member_code": next_member_code(get_session(), current_org_id()),
        },
        choices=CHOICES,
        producer=None,
    )


@bp.route("/producers/<int:producer_id>/edit", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def producer_edit(producer_id: int):
    producer = get_producer(get_session(), current_org_id(), producer_id)
    defaults = {name: getattr(producer, name) for name in PRODUCER_FIELDS}
    return handle_form(
        "farms/producer_form.html",
        ProducerIn(),
        lambda data: update_producer(
            get_session(), current_org_id(), current_user_id(), producer_id, data
        ),
        lambda p: redirect(url_for("farms.producer_detail", producer_id=p.id)),
        defaults=defaults,
        choices=CHOICES,
        producer=producer,
    )


def _codes_to_ids(data: dict) -> dict:
    """The form names covered producers by member code; the service wants ids."""
    codes = [c.strip() for c in data.pop("producer_codes", "").replace(";", ",").split(",")]
    ids = []
    for code in filter(None, codes):
        producer = producer_by_code(get_session(), current_org_id(), code)
        if producer is None:
            raise DomainError(
                _("Unknown member code %(code)s.", code=code),
                {"producer_codes": [_("Unknown member code %(code)s.", code=code)]},
            )
        ids.append(producer.id)
    data["producer_ids"] = ids
    return data


class AgreementForm(AgreementIn):
    """The agreement form names producers by member code, comma-separated."""

    producer_codes = fields.Str(required=True)


@bp.route("/producers/<int:producer_id>/agreements/new", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def agreement_new(producer_id: int):
    producer = get_producer(get_session(), current_org_id(), producer_id)
    return handle_form(
        "farms/agreement_form.html",
        AgreementForm(exclude=("producer_ids",)),
        lambda data: create_agreement(get_session(), current_org_id(), current_user_id(), data),
        lambda _a: redirect(url_for("farms.producer_detail", producer_id=producer.id)),
        defaults={
            "producer_codes": producer.member_code,
            "kind": "individual",
            "protected_area": "Bosque de Protección Alto Mayo",
            "signed_on": today().isoformat(),
            "commitments": [c.value for c in Commitment],
            "status": "active",
        },
        list_fields=("commitments",),
        prepare=_codes_to_ids,
        choices=CHOICES,
        producer=producer,
    )


def _return_producer(agreement, asked: int | None) -> int:
    """The producer page to go back to: the one asked for if the agreement covers it."""
    covered = agreement_producer_ids(get_session(), [agreement.id])[agreement.id]
    return asked if asked in covered else covered[0]


@bp.post("/agreements/<int:agreement_id>/status")
@requires(REGISTRY_WRITE)
def agreement_status(agreement_id: int):
    db = get_session()
    agreement = get_agreement(db, current_org_id(), agreement_id)
    back = _return_producer(agreement, request.form.get("producer", type=int))
    raw = {k: v for k, v in request.form.items() if k in AgreementStatusIn().fields}
    try:
        data = AgreementStatusIn().load(raw)
        set_agreement_status(
            db,
            current_org_id(),
            current_user_id(),
            agreement.id,
            data["status"],
            data["status_reason"],
            data["status_since"],
        )
    except ValidationError as exc:
        flash("; ".join(f"{k}: {_(m[0])}" for k, m in exc.messages.items()), "error")
        return redirect(url_for("farms.producer_detail", producer_id=back)), 303
    except DomainError as exc:
        discard_changes()  # a redirect is a success status: make sure nothing half-done commits
        flash(exc.message, "error")
        return redirect(url_for("farms.producer_detail", producer_id=back)), 303
    flash(
        _(
            "Agreement %(number)s is now %(status)s.",
            number=agreement.number,
            status=_(str(data["status"])),  # a value, not a literal to extract
        ),
        "success",
    )
    return redirect(url_for("farms.producer_detail", producer_id=back))


@bp.route("/agreements/<int:agreement_id>/visits/new", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def visit_new(agreement_id: int):
    db = get_session()
    agreement = get_agreement(db, current_org_id(), agreement_id)
    back = _return_producer(agreement, request.args.get("producer", type=int))
    return handle_form(
        "farms/visit_form.html",
        VisitIn(),
        lambda data: add_visit(db, current_org_id(), current_user_id(), agreement_id, data),
        lambda _v: redirect(url_for("farms.producer_detail", producer_id=back)),
        defaults={"visited_on": today().isoformat(), "result": "compliant"},
        choices=CHOICES,
        agreement=agreement,
        back=back,
    )


def _plot_geometry_from_request(data: dict) -> dict:
    """A GeoJSON file, if uploaded, wins over the pasted text."""
    upload = request.files.get("geometry_file")
    if upload and upload.filename:
        text = upload.read(2 * 1024 * 1024 + 1)
        if len(text) > 2 * 1024 * 1024:
            raise DomainError(
                _("The GeoJSON file is over 2 MB."),
                {"geometry": [_("The GeoJSON file is over 2 MB.")]},
            )
        data["geometry"] = text.decode("utf-8", errors="replace")
    return data


def _plot_form(plot_id: int | None, producer_id: int):
    db = get_session()
    producer = get_producer(db, current_org_id(), producer_id)
    plot = get_plot(db, current_org_id(), plot_id) if plot_id else None
    defaults = {"producer_id": producer.id, "crop": "coffee"}
    if plot:
        defaults = {name: getattr(plot, name) for name in PLOT_FIELDS}
        defaults["producer_id"] = plot.producer_id
        defaults["geometry"] = json.dumps(plot.geometry) if plot.geometry else ""

    def save(data):
        if plot is None:
            return create_plot(db, current_org_id(), current_user_id(), data)
        return update_plot(db, current_org_id(), current_user_id(), plot.id, data)

    return handle_form(
        "farms/plot_form.html",
        PlotIn(),
        save,
        lambda p: redirect(url_for("farms.producer_detail", producer_id=p.producer_id)),
        defaults=defaults,
        prepare=_plot_geometry_from_request,
        choices=CHOICES,
        certifiers=list_certifiers(db, current_org_id()),
        producer=producer,
        plot=plot,
    )


@bp.route("/producers/<int:producer_id>/plots/new", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def plot_new(producer_id: int):
    return _plot_form(None, producer_id)


@bp.route("/plots/<int:plot_id>/edit", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def plot_edit(plot_id: int):
    plot = get_plot(get_session(), current_org_id(), plot_id)
    return _plot_form(plot.id, plot.producer_id)


@bp.route("/registry/import", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def registry_import():
    if request.method == "GET":
        return render_template("farms/import.html", errors=None, file_error=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template(
            "farms/import.html", errors=None, file_error=_("Choose an .xlsx file to upload.")
        ), 400
    data = upload.read()
    args = (get_session(), current_org_id(), current_user_id(), "import.registry", upload.filename)
    if job := import_jobs.job_if_big(*args, data):
        return redirect(url_for("core.job_detail", job_id=job.id))
    try:
        result = import_registry(get_session(), current_org_id(), current_user_id(), data)
    except SpreadsheetError as exc:
        return render_template("farms/import.html", errors=None, file_error=exc.message), 422
    except ImportFailed as exc:
        return render_template("farms/import.html", errors=exc.errors, file_error=None), 422
    flash(
        _(
            "Imported %(producers)s, %(agreements)s, %(plots)s.",
            producers=ngettext("%(num)s producer", "%(num)s producers", result.producers),
            agreements=ngettext("%(num)s agreement", "%(num)s agreements", result.agreements),
            plots=ngettext("%(num)s plot", "%(num)s plots", result.plots),
        ),
        "success",
    )
    return redirect(url_for("farms.producer_list"))


@bp.get("/registry/template.xlsx")
@requires(READ)
def registry_template():
    return send_xlsx(template_workbook(sheet_specs()), "coopchain-register-template.xlsx")


@bp.get("/registry/producers.xlsx")
@requires(READ)
def registry_export():
    data = export_registry(
        get_session(), current_org_id(), with_private=current_principal().sees_private_data
    )
    return send_xlsx(data, f"producers-{current_principal().organization_code}-{today()}.xlsx")
