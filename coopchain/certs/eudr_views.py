"""The EUDR geolocation package as a download for signed-in staff and auditors (the shipment
page's button): the API's builder (`eudr_shipment.shipment_package`) and bytes (`part_bytes`),
with the session instead of an API token. A package split over the EU limits is offered part
by part.
"""

import io

from flask import redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from coopchain.auth.access import READ, current_org_id, current_principal, requires
from coopchain.certs import certificate_jobs, eudr_jobs
from coopchain.certs.eudr import package_summary, part_bytes
from coopchain.certs.eudr_shipment import shipment_package
from coopchain.certs.views import bp
from coopchain.db import get_session
from coopchain.errors import DomainError
from coopchain.shipments.services import get_shipment

GEOJSON = "application/geo+json"


@bp.get("/shipments/<reference>/eudr.geojson")
@requires(READ)
def shipment_eudr(reference: str):
    if request.args.get("part") is None and certificate_jobs.is_large_shipment(
        get_session(), current_org_id(), reference
    ):  # a GET changes nothing: the job starts from the page's form
        return render_template("certs/eudr_job.html", reference=reference)
    package = shipment_package(get_session(), current_org_id(), reference)
    count = len(package.parts)
    raw = request.args.get("part")
    if raw is None and count > 1:
        summary = package_summary(package)
        return render_template("certs/eudr_parts.html", reference=reference, summary=summary)
    if raw is not None and not (raw.isdigit() and 1 <= int(raw) <= count):
        message = _("There is no part %(part)s.", part=raw)
        raise DomainError(message, {"part": [_("Choose a part from 1 to %(n)s.", n=count)]})
    number = int(raw or 1)
    suffix = f"-part{number}of{count}" if count > 1 else ""
    response = send_file(
        io.BytesIO(part_bytes(package.parts[number - 1])),
        mimetype=GEOJSON,
        as_attachment=True,
        download_name=f"eudr-{reference}{suffix}.geojson",
    )
    response.headers["X-EUDR-Parts"] = str(count)
    return response


@bp.post("/shipments/<reference>/eudr/jobs")
@requires(READ)
def shipment_eudr_job(reference: str):
    """Start the job building a large shipment's package; answer with its progress page."""
    principal = current_principal()
    get_shipment(get_session(), principal.organization_id, reference)  # 404 for another's
    job = eudr_jobs.submit(get_session(), principal.organization_id, principal.user_id, reference)
    return redirect(url_for("core.job_detail", job_id=job.id))
