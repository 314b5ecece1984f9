"""The EUDR geolocation package of a large shipment as a job (coopchain/jobs.py): gathering
the origin plots of hundreds of bags takes long, so above JOBS_CERTIFICATE_BAGS bags the
shipment's EUDR button offers a job; its file is the package, one GeoJSON, or a .zip of the
parts when the EU limits split it (the same bytes as the part downloads)."""

import io
import zipfile

from flask import url_for

from coopchain import jobs
from coopchain.certs.eudr import part_bytes
from coopchain.certs.eudr_shipment import shipment_package

KIND = "eudr.package"


def _result_page(job) -> str | None:
    return url_for("core.job_file_download", job_id=job.id) if job.status == "finished" else None


def package_file(reference: str, parts: list[dict]) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of the package: pure, from its parts."""
    if len(parts) == 1:
        return f"eudr-{reference}.geojson", "application/geo+json", part_bytes(parts[0])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, part in enumerate(parts, start=1):
            name = f"eudr-{reference}-part{number}of{len(parts)}.geojson"
            archive.writestr(name, part_bytes(part))
    return f"eudr-{reference}.zip", "application/zip", buffer.getvalue()


@jobs.task(KIND, result_page=_result_page)
def build(context: jobs.JobContext, reference: str) -> dict:
    session = context.sessionmaker()
    try:
        package = shipment_package(session, context.organization_id, reference)
        session.commit()  # ends the reading transaction (it wrote nothing): see deliver_file
    finally:
        session.close()
    filename, content_type, data = package_file(reference, package.parts)
    result = {"filename": filename, "parts": len(package.parts)}
    return context.deliver_file(filename, content_type, data, result)


def submit(session, org_id: int, user_id, reference: str):
    return jobs.submit(session, org_id, user_id, KIND, {"reference": reference})
