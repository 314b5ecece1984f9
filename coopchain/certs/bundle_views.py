"""A shipment's signed document bundle as a download: for signed-in staff and auditors (the
shipment page's button) and for API clients (/api/v1/shipments/<ref>/bundle.zip). The zip is
built by certs/bundle.py; these views only send it. Above JOBS_CERTIFICATE_BAGS bags it is
built by a job (bundle_jobs.py): the button's page offers it, the API names the POST.
"""

import io

from flask import redirect, render_template, send_file, url_for
from flask_babel import gettext as _

from coopchain.auth.access import (
    READ,
    api_requires,
    current_org_id,
    current_user_id,
    requires,
)
from coopchain.certs import bundle_jobs
from coopchain.certs.bundle import refuse_unless_ready, shipment_bundle
from coopchain.certs.certificate_jobs import is_large_shipment
from coopchain.certs.views import bp
from coopchain.db import get_session
from coopchain.shipments.services import get_shipment
from coopchain.web.api import api_blueprint, document
from coopchain.web.api_jobs import job_accepted, job_required

ZIP = "application/zip"

document(
    "/api/v1/shipments/{reference}/bundle.zip",
    "get",
    "The shipment's document bundle: its certificate, packing list (PDF, signed, and xlsx), "
    "EUDR GeoJSON, MANIFEST.sha256 with every file's sha256, MANIFEST.sha256.p7s (detached "
    "CMS signature of the manifest with the organisation's key) and signer.pem; 404 without a "
    "valid certificate, 409 without a signing key; above JOBS_CERTIFICATE_BAGS bags (1,000 by "
    "default) 409 job_required names the POST that builds it as a job",
    text_params=("reference",),
)["responses"]["200"]["content"] = {ZIP: {"schema": {"type": "string", "format": "binary"}}}
document(
    "/api/v1/shipments/{reference}/bundle/jobs",
    "post",
    "Build the document bundle as a job (202; the zip is then at /api/v1/jobs/{id}/file); "
    "404 without a valid certificate, 409 without a signing key",
    text_params=("reference",),
    status="202",
    job=True,
)


def _send(reference: str):
    db = get_session()
    shipment = get_shipment(db, current_org_id(), reference)
    name, data = shipment_bundle(db, current_org_id(), shipment.reference)
    return send_file(io.BytesIO(data), mimetype=ZIP, as_attachment=True, download_name=name)


def _submit(reference: str):
    """The bundle's job, once what it needs is there (else the error the download gives)."""
    db = get_session()
    shipment = get_shipment(db, current_org_id(), reference)  # 404 for another's
    refuse_unless_ready(db, current_org_id(), shipment.reference)
    return bundle_jobs.submit(db, current_org_id(), current_user_id(), shipment.reference)


@bp.get("/shipments/<reference>/bundle.zip")
@requires(READ)
def shipment_bundle_zip(reference: str):
    if is_large_shipment(get_session(), current_org_id(), reference):
        # A GET changes nothing: the job starts from the page's form, offered only when the
        # job can make the bundle (else the reason now, as the download gives it).
        refuse_unless_ready(get_session(), current_org_id(), reference)
        return render_template("certs/bundle_job.html", reference=reference)
    return _send(reference)


@bp.post("/shipments/<reference>/bundle/jobs")
@requires(READ)
def shipment_bundle_job(reference: str):
    """Start the job building a large shipment's bundle; answer with its progress page."""
    return redirect(url_for("core.job_detail", job_id=_submit(reference).id))


@api_blueprint.get("/shipments/<reference>/bundle.zip")
@api_requires(READ)
def shipments_bundle(reference: str):
    if is_large_shipment(get_session(), current_org_id(), reference):
        return job_required(
            "api.shipments_bundle_job",
            lambda start: _(
                "This shipment's document bundle is built by a job. POST to %(start)s to start it.",
                start=start,
            ),
            reference=reference,
        )
    return _send(reference)


@api_blueprint.post("/shipments/<reference>/bundle/jobs")
@api_requires(READ)
def shipments_bundle_job(reference: str):
    return job_accepted(_submit(reference))
