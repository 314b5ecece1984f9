"""JSON API for the EUDR evidence: a shipment's geolocation package and each origin plot's
forest evidence, grouped apart from compliance and certificates (api.py).
"""

import io

from flask import jsonify, request, send_file
from flask_babel import gettext as _

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_user_id,
)
from coopchain.certs import eudr_jobs
from coopchain.certs.certificate_jobs import is_large_shipment
from coopchain.certs.eudr import package_summary, part_bytes
from coopchain.certs.eudr_shipment import shipment_package
from coopchain.certs.schemas import (
    EudrPartOut,
    EudrSummaryOut,
    ForestEvidenceIn,
    ForestEvidenceOut,
    ForestEvidenceVoidIn,
)
from coopchain.db import get_session
from coopchain.errors import DomainError, NotFound
from coopchain.farms.plots import get_plot
from coopchain.forest import evidence as forest
from coopchain.shipments.services import get_shipment
from coopchain.web.api import (
    OPENAPI_SCHEMAS,
    api_blueprint,
    document,
    dump_with,
    page_args,
    page_of,
)
from coopchain.web.api import json_body as _json_body
from coopchain.web.api_jobs import job_accepted, job_required

GEOJSON = "application/geo+json"

OPENAPI_SCHEMAS.update(
    ForestEvidenceIn=ForestEvidenceIn,
    ForestEvidenceOut=ForestEvidenceOut,
    ForestEvidenceVoidIn=ForestEvidenceVoidIn,
    EudrPartOut=EudrPartOut,
    EudrSummaryOut=EudrSummaryOut,
)


# --- EUDR geolocation package ------------------------------------------------------------------

_geojson = document(
    "/api/v1/shipments/{reference}/eudr.geojson",
    "get",
    "The EUDR geolocation package (GeoJSON Type II FeatureCollection, one feature per "
    "origin plot); ?part=N for a package split over the EU limits; header X-EUDR-Parts; "
    "422 eudr_invalid lists the plots that are not EUDR-valid; above JOBS_CERTIFICATE_BAGS "
    "bags (1,000 by default) 409 job_required names the POST that builds it as a job",
    text_params=("reference",),
    query={"part": {"type": "integer", "minimum": 1}},
)
document(
    "/api/v1/shipments/{reference}/eudr/jobs",
    "post",
    "Build the EUDR geolocation package as a job (202): one GeoJSON, or a .zip of the parts "
    "when the EU limits split it, then at /api/v1/jobs/{id}/file",
    text_params=("reference",),
    status="202",
    job=True,
)
# GeoJSON is JSON (RFC 7946): described as the object it is, not as opaque bytes, so clients
# and the contract test read it as JSON.
_geojson["responses"]["200"]["content"] = {
    GEOJSON: {
        "schema": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": {"type": "object"}},
            },
        }
    }
}
document(
    "/api/v1/shipments/{reference}/eudr.json",
    "get",
    "What the EUDR package holds: HS code, net weight, producers, plots and parts",
    response="EudrSummaryOut",
    text_params=("reference",),
)


def _part_number(part_count: int) -> int:
    raw = request.args.get("part")
    if raw is None:
        if part_count > 1:
            raise DomainError(
                _(
                    "The package is split into %(n)s parts (EU limits per statement): download "
                    "each with ?part=1 … ?part=%(n)s.",
                    n=part_count,
                ),
                {"part": [_("Choose a part from 1 to %(n)s.", n=part_count)]},
            )
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= part_count:
        raise DomainError(
            _("There is no part %(part)s.", part=raw),
            {"part": [_("Choose a part from 1 to %(n)s.", n=part_count)]},
        )
    return int(raw)


def _built_by_a_job(reference: str):
    """None, or the 409 of a shipment whose package is built by a job (gathering the origin
    plots of a thousand bags and more takes minutes): every part comes from the whole package,
    so ?part=N is no shortcut."""
    if not is_large_shipment(get_session(), current_org_id(), reference):  # NotFound first
        return None
    return job_required(
        "api.shipments_eudr_job",
        lambda start: _(
            "This shipment's EUDR package is built by a job. POST to %(start)s to start it.",
            start=start,
        ),
        reference=reference,
    )


@api_blueprint.post("/shipments/<reference>/eudr/jobs")
@api_requires(READ)
def shipments_eudr_job(reference: str):
    get_shipment(get_session(), current_org_id(), reference)  # 404 for another's
    job = eudr_jobs.submit(get_session(), current_org_id(), current_user_id(), reference)
    return job_accepted(job)


@api_blueprint.get("/shipments/<reference>/eudr.geojson")
@api_requires(READ)
def shipments_eudr_geojson(reference: str):
    if (refusal := _built_by_a_job(reference)) is not None:
        return refusal
    package = shipment_package(get_session(), current_org_id(), reference)
    count = len(package.parts)
    try:
        number = _part_number(count)
    except DomainError as exc:
        response = jsonify(error=exc.code, message=exc.message, fields=exc.fields)
        response.headers["X-EUDR-Parts"] = str(count)
        return response, exc.status
    suffix = f"-part{number}of{count}" if count > 1 else ""
    response = send_file(
        io.BytesIO(part_bytes(package.parts[number - 1])),
        mimetype=GEOJSON,
        as_attachment=True,
        download_name=f"eudr-{reference}{suffix}.geojson",
    )
    response.headers["X-EUDR-Parts"] = str(count)
    response.headers["X-EUDR-Part"] = str(number)
    return response


@api_blueprint.get("/shipments/<reference>/eudr.json")
@api_requires(READ)
def shipments_eudr_summary(reference: str):
    if (refusal := _built_by_a_job(reference)) is not None:
        return refusal
    package = shipment_package(get_session(), current_org_id(), reference)
    summary = package_summary(package)
    for part in summary["parts"]:
        part["url"] = f"/api/v1/shipments/{reference}/eudr.geojson?part={part['number']}"
    response = jsonify(EudrSummaryOut().dump({"reference": reference, **summary}))
    response.headers["X-EUDR-Parts"] = str(summary["part_count"])
    return response


# --- forest evidence --------------------------------------------------------------------------

document(
    "/api/v1/plots/{plot_id}/forest-evidence",
    "get",
    "A plot's forest evidence, newest first, voided included (current: the one that counts)",
    list_of="ForestEvidenceOut",
    searchable=False,
    params=("plot_id",),
)
document(
    "/api/v1/plots/{plot_id}/forest-evidence",
    "post",
    "Record forest evidence by hand (manual review or field visit) with its source and date",
    body="ForestEvidenceIn",
    response="ForestEvidenceOut",
    params=("plot_id",),
)
document(
    "/api/v1/plots/{plot_id}/forest-evidence/{evidence_id}/void",
    "post",
    "Void mistaken forest evidence with a reason (it stays in the history)",
    body="ForestEvidenceVoidIn",
    response="ForestEvidenceOut",
    params=("plot_id", "evidence_id"),
    status="200",
)


def _evidence_out(evidence, current_id: int | None) -> dict:
    return dump_with(ForestEvidenceOut(), evidence, current=evidence.id == current_id)


def _current_id(plot_id: int) -> int | None:
    latest = forest.latest_evidence(get_session(), current_org_id(), [plot_id]).get(plot_id)
    return latest.id if latest else None


@api_blueprint.get("/plots/<int:plot_id>/forest-evidence")
@api_requires(READ)
def plots_forest_evidence(plot_id: int):
    get_plot(get_session(), current_org_id(), plot_id)
    args = page_args()
    rows = forest.evidence_of(get_session(), current_org_id(), plot_id)
    start = (args["page"] - 1) * args["per_page"]
    current = _current_id(plot_id)
    items = [_evidence_out(e, current) for e in rows[start : start + args["per_page"]]]
    return page_of(items, len(rows), args)


@api_blueprint.post("/plots/<int:plot_id>/forest-evidence")
@api_requires(REGISTRY_WRITE)
def plots_forest_evidence_record(plot_id: int):
    get_plot(get_session(), current_org_id(), plot_id)  # 404 before any 422
    data = ForestEvidenceIn().load(_json_body())
    evidence = forest.record_evidence(
        get_session(), current_org_id(), current_user_id(), plot_id, data
    )
    return jsonify(_evidence_out(evidence, _current_id(plot_id))), 201


@api_blueprint.post("/plots/<int:plot_id>/forest-evidence/<int:evidence_id>/void")
@api_requires(REGISTRY_WRITE)
def plots_forest_evidence_void(plot_id: int, evidence_id: int):
    db = get_session()
    get_plot(db, current_org_id(), plot_id)
    if evidence_id not in {e.id for e in forest.evidence_of(db, current_org_id(), plot_id)}:
        raise NotFound(_("No such forest evidence."))
    data = ForestEvidenceVoidIn().load(_json_body())
    evidence = forest.void_evidence(
        db, current_org_id(), current_user_id(), evidence_id, data["reason"]
    )
    return jsonify(_evidence_out(evidence, _current_id(plot_id)))
