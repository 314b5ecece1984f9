"""Staff pages of a shipment's due diligence statement: the summary with its downloads (JSON,
the XML body per statement, each producer's GeoJSON), and filing it with the EU Information
System (submit, status, amend, withdraw). Views stay thin: statements.py builds, filing.py
files; a refused action shows the page again with the reason and writes nothing.

Above JOBS_CERTIFICATE_BAGS bags building the statement is a job (dds_jobs.py): the page shows
what it can without building it, and the downloads answer with a page offering the job; the
submit button starts a job that builds and files it (filing_jobs.py).
"""

import io
import json
from decimal import Decimal

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from coopchain.auth.access import (
    ADMIN,
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.certs import certificate_jobs
from coopchain.certs.eudr import format_size
from coopchain.db import discard_changes, get_session
from coopchain.errors import Conflict, DomainError
from coopchain.eudr import dds_jobs, documents, filing, filing_jobs
from coopchain.eudr.accounts import get_account
from coopchain.eudr.blueprint import bp
from coopchain.eudr.statement import producer_geojson
from coopchain.eudr.statements import producer_input, shipment_statements
from coopchain.eudr.views_common import chosen_part, safe_name
from coopchain.formatting import kg as format_kg
from coopchain.forms import form_errors
from coopchain.shipments.services import get_shipment

GEOJSON = "application/geo+json"


def _large(reference: str) -> bool:
    """A shipment whose statement is built by a job (raises NotFound for another's)."""
    return certificate_jobs.is_large_shipment(get_session(), current_org_id(), reference)


def _page(reference: str, errors: dict | None = None, status: int = 200):
    db, org_id = get_session(), current_org_id()
    shipment = get_shipment(db, org_id, reference)
    plan, problem = None, None
    large = _large(reference)
    try:
        if not large:
            _shipment, plan = shipment_statements(db, org_id, reference)
    except DomainError as exc:
        problem = {"message": exc.message, "fields": form_errors(exc)}
    account = get_account(db, org_id)
    rows = filing.statements_of(db, org_id, shipment)
    role = current_principal().role
    return render_template(
        "eudr/dds.html",
        shipment=shipment,
        plan=plan,
        large=large,
        problem=problem,
        account=account,
        filed=rows,
        live=[r.uuid for r in rows if r.status not in filing.CLOSED],
        can_file=role in ADMIN,
        can_refresh=role in REGISTRY_WRITE,
        errors=errors or {},
        kg=lambda value: format_kg(Decimal(value)),
        size=format_size,
    ), status


@bp.get("/shipments/<reference>/dds")
@requires(READ)
def dds_page(reference: str):
    return _page(reference)


@bp.get("/shipments/<reference>/dds.json")
@requires(READ)
def dds_json(reference: str):
    if _large(reference):  # a GET changes nothing: the job starts from the page's form
        return render_template("eudr/dds_job.html", reference=reference)
    shipment, plan = shipment_statements(get_session(), current_org_id(), reference)
    return send_file(
        io.BytesIO(documents.json_bytes(shipment.reference, plan)),
        mimetype="application/json",
        as_attachment=True,
        download_name=documents.json_name(shipment.reference),
    )


@bp.get("/shipments/<reference>/dds.xml")
@requires(READ)
def dds_xml(reference: str):
    if _large(reference):  # each part needs the whole plan: the job builds them all
        return render_template("eudr/dds_job.html", reference=reference)
    shipment, plan = shipment_statements(get_session(), current_org_id(), reference)
    count = len(plan.statements)
    number = chosen_part(request.args.get("part"), count)
    response = Response(documents.xml_bytes(plan, number), mimetype="application/xml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{documents.xml_name(shipment.reference, number, count)}"'
    )
    return response


@bp.post("/shipments/<reference>/dds/jobs")
@requires(READ)
def dds_job(reference: str):
    """Start the job building a large shipment's statement files; answer with its progress
    page."""
    principal = current_principal()
    get_shipment(get_session(), principal.organization_id, reference)  # 404 for another's
    language = str(get_locale())  # the split reasons' language: the downloads' own
    job = dds_jobs.submit(
        get_session(), principal.organization_id, principal.user_id, reference, language
    )
    return redirect(url_for("core.job_detail", job_id=job.id))


@bp.get("/shipments/<reference>/dds/producers/<code>.geojson")
@requires(READ)
def producer_geojson_download(reference: str, code: str):
    """One producer's plots as the FeatureCollection its statement carries in base64."""
    db = get_session()
    shipment = get_shipment(db, current_org_id(), reference)
    producer = producer_input(db, current_org_id(), shipment, code)  # NotFound: not here
    return send_file(
        io.BytesIO(json.dumps(producer_geojson(producer)).encode("utf-8")),
        mimetype=GEOJSON,
        as_attachment=True,
        download_name=f"dds-{safe_name(shipment.reference)}-{safe_name(code)}.geojson",
    )


def _act(reference: str, do, done_message: str):
    """Run one filing action; on a refusal show the page again with the reason (nothing is
    written: 409 when the statement's state forbids it, 502 when the EU refused)."""
    db = get_session()
    get_shipment(db, current_org_id(), reference)  # 404 first
    try:
        do(db, filing.client_for(db, current_org_id()))
    except DomainError as exc:
        return _refused(reference, exc)
    flash(done_message, "success")
    return redirect(url_for("eudr.dds_page", reference=reference))


def _start(reference: str, submit):
    """Start a filing job (`submit(db)` returns it) and show its page; a refusal before it
    starts shows the DDS page again with the reason, as _act does."""
    try:
        job = submit(get_session())
    except DomainError as exc:
        return _refused(reference, exc)
    return redirect(url_for("core.job_detail", job_id=job.id))


def _refused(reference: str, exc: DomainError):
    """The DDS page again with the reason, nothing written: 409 when the statement's state
    forbids it, else the error's own status (502 when the EU refused)."""
    discard_changes()
    status = 409 if isinstance(exc, Conflict) else exc.status
    return _page(reference, form_errors(exc) or {"_": [exc.message]}, status)


@bp.post("/shipments/<reference>/dds/submit")
@requires(ADMIN)
def dds_submit(reference: str):
    if _large(reference):  # built and filed part by part by a job (filing_jobs.py)
        return _start(
            reference,
            lambda db: filing_jobs.submit(
                db, current_org_id(), current_user_id(), reference, str(get_locale())
            ),
        )

    def do(db, client):
        filing.submit(db, current_org_id(), current_user_id(), reference, client)

    return _act(reference, do, _("The statement was sent to the EU Information System."))


@bp.post("/shipments/<reference>/dds/refresh")
@requires(REGISTRY_WRITE)
def dds_refresh(reference: str):
    def do(db, client):
        filing.refresh(db, current_org_id(), current_user_id(), reference, client)

    return _act(reference, do, _("Status updated from the EU Information System."))


@bp.post("/shipments/<reference>/dds/amend")
@requires(ADMIN)
def dds_amend(reference: str):
    uuid = request.form.get("uuid", "")[:64]
    if _large(reference):  # the statement is rebuilt by a job (filing_jobs.py)
        return _start(
            reference,
            lambda db: filing_jobs.submit_amend(
                db, current_org_id(), current_user_id(), reference, uuid, str(get_locale())
            ),
        )

    def do(db, client):
        filing.amend(db, current_org_id(), current_user_id(), reference, uuid, client)

    return _act(reference, do, _("The statement was amended."))


@bp.post("/shipments/<reference>/dds/withdraw")
@requires(ADMIN)
def dds_withdraw(reference: str):
    uuid = request.form.get("uuid", "")[:64]

    def do(db, client):
        filing.withdraw(db, current_org_id(), current_user_id(), reference, uuid, client)

    return _act(reference, do, _("The statement was withdrawn."))
