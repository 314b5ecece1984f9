"""The EUDR geolocation package as a download for signed-in staff and auditors (the shipment
page's button): the API's builder (`eudr_shipment.shipment_package`) and bytes (`part_bytes`),
with the session instead of an API token. A package split over the EU limits is offered part
by part.
"""

import io

from flask import render_template, request, send_file
from flask_babel import gettext as _

from coopchain.auth.access import READ, current_org_id, requires
from coopchain.certs.eudr import package_summary, part_bytes
from coopchain.certs.eudr_shipment import shipment_package
from coopchain.certs.views import bp
from coopchain.db import get_session
from coopchain.errors import DomainError

GEOJSON = "application/geo+json"


@bp.get("/shipments/<reference>/eudr.geojson")
@requires(READ)
def shipment_eudr(reference: str):
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
