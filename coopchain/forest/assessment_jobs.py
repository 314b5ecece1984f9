"""A forest assessment as a job (coopchain/jobs.py): the web page and `coopchain
assess-forest` start one, a `coopchain worker` measures it. The assessment is resumable by
design (forest/assessment.py keeps only plots not yet measured), so a worker that takes over
from a killed one continues where the committed batches stopped."""

from flask import url_for

from coopchain import jobs
from coopchain.forest import assessment as fa

KIND = "forest.assessment"


def _result_page(job) -> str | None:
    return url_for("farms.forest_assessment_detail", assessment_id=job.arguments["assessment_id"])


@jobs.task(KIND, result_page=_result_page)
def measure(context: jobs.JobContext, assessment_id: int, batch_size: int | None = None) -> dict:
    result = fa.run_assessment(
        context.sessionmaker,
        context.organization_id,
        assessment_id,
        progress=context.progress,
        batch_size=batch_size or fa.BATCH_SIZE,
    )
    return {
        "assessment_id": result.id,
        "status": str(result.status),
        "done": result.done,
        "total": result.total,
    }


def submit(session, org_id: int, user_id: int | None, assessment_id: int, batch_size=None):
    """Send the assessment to the workers (once the caller commits)."""
    arguments = {"assessment_id": assessment_id}
    if batch_size:
        arguments["batch_size"] = batch_size
    return jobs.submit(session, org_id, user_id, KIND, arguments)
