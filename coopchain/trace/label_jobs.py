"""Label sheets of many bags as jobs (coopchain/jobs.py): rendering a few hundred labels with
their QR codes takes WeasyPrint seconds, so above JOBS_LABEL_BAGS bags the staff page starts a
job instead, and its progress page offers the PDF once a worker has made it (kept as the job's
file in the database, readable by every web node)."""

from flask import url_for

from coopchain import jobs
from coopchain.shipments.services import bags_of, get_shipment
from coopchain.trace.label_sheets import LAYOUTS, labels_pdf, live_bags_of_lot

KIND = "labels.sheet"
#: What a label sheet is made for: a lot's bags or a shipment's.
SUBJECTS = ("lot", "shipment")


def _result_page(job) -> str | None:
    return url_for("core.job_file_download", job_id=job.id) if job.status == "finished" else None


def bags_for(session, org_id: int, subject: str, reference: str) -> list:
    """The live bags to label (NotFound for another organisation's lot or shipment)."""
    if subject == "lot":
        return live_bags_of_lot(session, org_id, reference)
    shipment = get_shipment(session, org_id, reference)
    return [bag for bag, _lot in bags_of(session, shipment)]


@jobs.task(KIND, result_page=_result_page)
def render_labels(context: jobs.JobContext, subject: str, reference: str, layout: str) -> dict:
    session = context.sessionmaker()
    try:
        bags = bags_for(session, context.organization_id, subject, reference)
        context.progress(0, len(bags))
        data = labels_pdf(session, context.organization_id, bags, layout)
        session.commit()  # ends the reading transaction (it wrote nothing): see deliver_file
    finally:
        session.close()
    filename = f"labels-{reference}-{layout}.pdf"
    result = {"filename": filename, "bags": len(bags), "bytes": len(data)}
    return context.deliver_file(filename, "application/pdf", data, result)


def submit(session, org_id: int, user_id, subject: str, reference: str, layout: str):
    if subject not in SUBJECTS or layout not in LAYOUTS:
        raise ValueError(f"no label sheet for {subject!r} in layout {layout!r}")
    arguments = {"subject": subject, "reference": reference, "layout": layout}
    return jobs.submit(session, org_id, user_id, KIND, arguments)
