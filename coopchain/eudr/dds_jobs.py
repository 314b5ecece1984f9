"""The due diligence statement of a large shipment as a job (coopchain/jobs.py): building it
checks and encodes every origin plot (19 s for 10,000 producers, docs/BENCHMARKS.md), so above
JOBS_CERTIFICATE_BAGS bags, the threshold of the shipment's EUDR package whose plots the
statement carries, the staff downloads offer a job. Its file is one .zip of the JSON and each
statement's SubmitDdsRequest XML, under the downloads' names and with their bytes.

Nothing is filed with the EU: a worker taking the job over builds the files again. The
JSON's split reasons are sentences with numbers: the job writes them in the language of whoever
started it and the organisation's number format, as the download would."""

import io
import zipfile

from flask import url_for
from flask_babel import force_locale

from coopchain import jobs
from coopchain.auth.models import Organization
from coopchain.errors import DomainError
from coopchain.eudr import documents
from coopchain.eudr.statement import DdsInput, DdsInvalid, DdsPlan, build_statements
from coopchain.eudr.statements import statement_input
from coopchain.eudr.views_common import safe_name
from coopchain.formatting import use_locale
from coopchain.shipments.services import get_shipment

KIND = "eudr.dds"
#: Broken rules written into the job's error, the rest counted (the column holds 1,000 chars).
SHOWN_ERRORS = 8


def _result_page(job) -> str | None:
    return url_for("core.job_file_download", job_id=job.id) if job.status == "finished" else None


def dds_file(reference: str, plan: DdsPlan) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of the job's .zip: pure, from the plan."""
    count = len(plan.statements)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(documents.json_name(reference), documents.json_bytes(reference, plan))
        for number in range(1, count + 1):
            name = documents.xml_name(reference, number, count)
            archive.writestr(name, documents.xml_bytes(plan, number))
    return f"dds-{safe_name(reference)}.zip", "application/zip", buffer.getvalue()


def refusal(exc: DdsInvalid) -> DomainError:
    """The broken rules on the job's page (the statement page no longer builds the plan)."""
    problems = [f"{name}: {m}" for name, messages in exc.fields.items() for m in messages]
    shown = "; ".join(problems[:SHOWN_ERRORS])
    more = len(problems) - SHOWN_ERRORS
    return DomainError(f"{exc.message} {shown}{f' (+{more})' if more > 0 else ''}")


def read_input(context: jobs.JobContext, reference: str) -> tuple[str, DdsInput]:
    """The shipment's reference and the statement's input, in a transaction of its own: none
    stays open while the plots are checked (SQLite would then refuse the job's write, made
    from a snapshot older than the progress committed meanwhile)."""
    session = context.sessionmaker()
    try:
        use_locale(session.get(Organization, context.organization_id).locale)
        shipment = get_shipment(session, context.organization_id, reference)
        return shipment.reference, statement_input(session, context.organization_id, shipment)
    finally:
        session.close()


@jobs.task(KIND, result_page=_result_page)
def build(context: jobs.JobContext, reference: str, language: str) -> dict:
    with force_locale(language):
        name, data = read_input(context, reference)
        try:
            plan = build_statements(data, progress=jobs.sparse(context.progress))
        except DdsInvalid as exc:
            raise refusal(exc) from None
    filename, content_type, archive = dds_file(name, plan)
    result = {"filename": filename, "statements": len(plan.statements)}
    return context.deliver_file(filename, content_type, archive, result)


def submit(session, org_id: int, user_id, reference: str, language: str):
    arguments = {"reference": reference, "language": language}
    return jobs.submit(session, org_id, user_id, KIND, arguments)
