"""/api/v1/jobs: long work (forest assessments, big imports and documents) and how far it got.
A client that started one (or was given its id) polls /api/v1/jobs/<id> until `status` is
finished or failed.

The API starts jobs where the staff pages do, at the same thresholds (issue 19 §1): a POST whose
work is long (an import above JOBS_IMPORT_ROWS rows, a large shipment's certificate, a payment
run above JOBS_PAYMENT_RUN_DELIVERIES) answers 202 with the job (`job_accepted`); a GET of a
document that is long work at that size answers 409 `job_required` naming the POST that starts
its job (`job_required`), since a GET must change nothing. Either way no web worker is held for
the minutes the work may take."""

import io
from collections.abc import Callable

from flask import jsonify, send_file, url_for
from marshmallow import Schema, fields

from coopchain.auth.access import READ, api_requires, current_org_id
from coopchain.db import get_session
from coopchain.job_rows import DONE, Job, JobStatus, get_job, job_file, list_jobs
from coopchain.web.api import OPENAPI_SCHEMAS, api_blueprint, document, page_args, page_of


class JobOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "the registered task, e.g. forest.assessment"})
    status = fields.String(metadata={"enum": [s.value for s in JobStatus]})
    done = fields.Integer(metadata={"description": "progress in the task's units"})
    total = fields.Integer()
    arguments = fields.Dict()
    result = fields.Dict(allow_none=True, metadata={"description": "set once finished"})
    error = fields.String(allow_none=True)
    attempts = fields.Integer()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


OPENAPI_SCHEMAS["JobOut"] = JobOut

document("/api/v1/jobs", "get", "Jobs, newest first", list_of="JobOut", searchable=False)
document(
    "/api/v1/jobs/{job_id}",
    "get",
    "One job: status (queued, running, finished, failed), progress, result or error",
    response="JobOut",
    params=("job_id",),
)
document(
    "/api/v1/jobs/{job_id}/file",
    "get",
    "The file a finished job made (a label sheet…); 404 when it made none",
    params=("job_id",),
)


def job_accepted(job: Job):
    """202 Accepted with the job just submitted and, in Location, where to poll it."""
    response = jsonify(_dump(job))
    response.status_code = 202
    response.headers["Location"] = url_for("api.jobs_get", job_id=job.id)
    return response


def job_required(endpoint: str, message: Callable[[str], str], **values):
    """409 for a GET whose document is long work at this size. `start`, in the body, is the
    POST that makes it as a job (route `endpoint` with `values`); `message(start)` says so in
    the caller's language. The job's file is then at /api/v1/jobs/<id>/file."""
    start = url_for(endpoint, **values)
    response = jsonify(error="job_required", message=message(start), fields={}, start=start)
    response.status_code = 409
    return response


def _dump(job: Job) -> dict:
    data = JobOut().dump(job)
    data["result"] = job.result if job.status in DONE else None
    return data


@api_blueprint.get("/jobs")
@api_requires(READ)
def jobs_list():
    args = page_args()
    jobs, total = list_jobs(
        get_session(), current_org_id(), (args["page"] - 1) * args["per_page"], args["per_page"]
    )
    return page_of([_dump(job) for job in jobs], total, args)


@api_blueprint.get("/jobs/<int:job_id>")
@api_requires(READ)
def jobs_get(job_id: int):
    return jsonify(_dump(get_job(get_session(), current_org_id(), job_id)))


@api_blueprint.get("/jobs/<int:job_id>/file")
@api_requires(READ)
def jobs_file(job_id: int):
    found = job_file(get_session(), current_org_id(), job_id)
    return send_file(
        io.BytesIO(found.data), mimetype=found.content_type, download_name=found.filename
    )
