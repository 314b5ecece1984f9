"""The staff pages of jobs: the list, one job's progress (its JavaScript, static/jobs.js,
polls the .json twin of the page; without JavaScript the page refreshes itself) and that
JSON. Anyone in the organisation may follow its jobs."""

import io

from flask import jsonify, render_template, request, send_file, url_for
from flask_babel import gettext as _

from coopchain import formatting
from coopchain.auth.access import READ, current_org_id, requires
from coopchain.db import get_session
from coopchain.job_rows import DONE, Job, get_job, job_file, list_jobs
from coopchain.jobs import RESULT_PAGES
from coopchain.views import bp

PAGE_SIZE = 25


def job_facts(job: Job) -> dict:
    """What the status page and its poll show of a job (plain values)."""
    result_page = RESULT_PAGES.get(job.kind)
    return {
        "id": job.id,
        "kind": job.kind,
        "kind_label": _(job.kind),
        "status": job.status,
        "status_label": _(job.status),
        "done": job.done,
        "total": job.total,
        "progress_text": _(
            "%(done)s of %(total)s",
            done=formatting.integer(job.done),
            total=formatting.integer(job.total),
        ),
        "attempts": job.attempts,
        "error": job.error,
        "finished": job.status in DONE,
        "result_url": result_page(job) if result_page and job.status in DONE else None,
        "created_at": formatting.moment(job.created_at),
    }


@bp.get("/jobs")
@requires(READ)
def job_list():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    jobs, total = list_jobs(get_session(), current_org_id(), (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return render_template(
        "jobs/list.html",
        jobs=[job_facts(job) for job in jobs],
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


@bp.get("/jobs/<int:job_id>")
@requires(READ)
def job_detail(job_id: int):
    job = get_job(get_session(), current_org_id(), job_id)
    return render_template(
        "jobs/detail.html",
        job=job_facts(job),
        poll_url=url_for("core.job_status", job_id=job.id),
    )


@bp.get("/jobs/<int:job_id>.json")
@requires(READ)
def job_status(job_id: int):
    response = jsonify(job_facts(get_job(get_session(), current_org_id(), job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:job_id>/file")
@requires(READ)
def job_file_download(job_id: int):
    """The file the job made (a label sheet…): what its result link points at."""
    found = job_file(get_session(), current_org_id(), job_id)
    return send_file(
        io.BytesIO(found.data), mimetype=found.content_type, download_name=found.filename
    )
