"""A large shipment's document bundle as a job (coopchain/jobs.py). The bundle holds the EUDR
package and the due diligence statements, which above JOBS_CERTIFICATE_BAGS bags are jobs of
their own (eudr_jobs.py, dds_jobs.py), so the bundle of such a shipment is one too: the
shipment's button offers it, the API answers 409 naming POST …/bundle/jobs, and the job's file
is the zip the download gives. It writes nothing but its file: a worker killed while building
leaves nothing behind, and the worker taking over builds it again."""

from flask import url_for

from coopchain import jobs
from coopchain.certs.bundle import shipment_bundle

KIND = "shipment.bundle"
ZIP = "application/zip"


def _result_page(job) -> str | None:
    return url_for("core.job_file_download", job_id=job.id) if job.status == "finished" else None


@jobs.task(KIND, result_page=_result_page)
def build(context: jobs.JobContext, reference: str) -> dict:
    session = context.sessionmaker()
    try:
        name, data = shipment_bundle(
            session, context.organization_id, reference, progress=context.progress
        )
        session.commit()  # ends the reading transaction (it wrote nothing): see deliver_file
    finally:
        session.close()
    return context.deliver_file(name, ZIP, data, {"filename": name, "bytes": len(data)})


def submit(session, org_id: int, user_id, reference: str):
    return jobs.submit(session, org_id, user_id, KIND, {"reference": reference})
