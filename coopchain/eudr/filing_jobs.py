"""Filing a large shipment's due diligence statement as a job (coopchain/jobs.py): building it
checks and encodes every origin plot (19 s for 10,000 producers, docs/BENCHMARKS.md), and each
part is a call to the EU Information System, whose answer may take the whole timeout; above
JOBS_CERTIFICATE_BAGS bags (the threshold of the statement's other documents) the submit and
amend buttons and the API start these jobs instead of filing in the request.

Each part is committed, with its ledger event, as soon as the EU has accepted it: a worker that
dies after part 3 of 10 leaves parts 1–3 recorded under this job (DdsStatement.job_id), and the
worker taking the job over files parts 4–10 only. The window between the EU's answer and that
commit remains (the EU's API has no idempotency key): a part the EU accepted just before its
worker died is filed again, and the duplicate shows in the EU system, to be withdrawn there.
A part the EU refuses fails the job; the parts filed before it stay live here, on the
shipment's DDS page, where they can be withdrawn.
"""

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from coopchain import jobs
from coopchain.db import begin_write, owned
from coopchain.errors import Conflict, DomainError
from coopchain.eudr import filing
from coopchain.eudr.dds_jobs import read_input, refusal
from coopchain.eudr.soap import EudrServiceError
from coopchain.eudr.statement import DdsInvalid, build_statements
from coopchain.job_rows import DONE, Job
from coopchain.shipments.services import get_shipment

KIND = "eudr.file"


def _result_page(job) -> str | None:
    reference = (job.result or {}).get("reference")
    return url_for("eudr.dds_page", reference=reference) if reference else None


@jobs.task(KIND, result_page=_result_page)
def file_statement(context: jobs.JobContext, reference: str, language: str) -> dict:
    with force_locale(language):
        reference, data = read_input(context, reference)
        filed = _check_and_resume(context, reference)
        # Progress: build_statements' steps (two per producer), then one per part filed.
        steps = 2 * len(data.producers)
        try:
            plan = build_statements(data, progress=jobs.sparse(context.progress))
        except DdsInvalid as exc:
            raise refusal(exc) from None
        count = len(plan.statements)
        client = _client(context)
        for number in range(1, count + 1):
            if number not in filed:
                filed[number] = _file_part(context, reference, client, plan, number, filed)
            context.progress(steps + number, steps + count)
        result = {
            "reference": reference,
            "parts": count,
            "uuids": [filed[n] for n in sorted(filed)],
        }
        with begin_write(context.sessionmaker()) as session:
            context.complete(session, result)
            session.commit()
        return result


def _check_and_resume(context: jobs.JobContext, reference: str) -> dict[int, str]:
    """{part: uuid} this job filed before (a worker died); refuses while another filing of the
    shipment is live."""
    with context.sessionmaker() as session:
        shipment = get_shipment(session, context.organization_id, reference)
        filing.refuse_while_filed(session, context.organization_id, shipment, context.job_id)
        rows = filing.statements_of(session, context.organization_id, shipment)
        return {row.part: row.uuid for row in rows if row.job_id == context.job_id}


def _client(context: jobs.JobContext):
    with context.sessionmaker() as session:
        return filing.client_for(session, context.organization_id)


def _file_part(context, reference: str, client, plan, number: int, filed: dict) -> str:
    """Send part `number`, then record it (row and ledger event) in a transaction of its own."""
    statement = plan.statements[number - 1]
    try:
        uuid = client.submit_dds(statement)
    except EudrServiceError as exc:
        if not filed:
            raise DomainError(exc.message) from None
        held = filing.parts_text(sorted(filed.items()))
        raise DomainError(
            _(
                "Part %(part)s was refused (%(reason)s); parts %(filed)s are filed: withdraw "
                "them on the shipment's DDS page before filing again.",
                part=number,
                reason=exc.message,
                filed=held,
            )
        ) from None
    with begin_write(context.sessionmaker()) as session:
        org_id, user_id = context.organization_id, context.user_id
        shipment = get_shipment(session, org_id, reference)
        part = (number, len(plan.statements))
        row = filing.record_part(
            session, org_id, user_id, shipment, part, statement, uuid, job_id=context.job_id
        )
        filing.record_submitted(session, org_id, user_id, shipment, [row], plan.split_reasons)
        session.commit()
    return uuid


AMEND_KIND = "eudr.amend"


@jobs.task(AMEND_KIND, result_page=_result_page)
def amend_statement(context: jobs.JobContext, reference: str, uuid: str, language: str) -> dict:
    """Build the statement as it is now and send its part in place of part `uuid`. Sending the
    same amendment twice changes nothing at the EU, so a job taken over simply sends it again;
    the amendment's ledger event commits with the job's completion, once."""
    with force_locale(language):
        reference, data = read_input(context, reference)
        _amendable(context, reference, uuid, None)  # refused before the long build
        try:
            plan = build_statements(data, progress=jobs.sparse(context.progress))
        except DdsInvalid as exc:
            raise refusal(exc) from None
        part = _amendable(context, reference, uuid, len(plan.statements))
        _client(context).amend_dds(uuid, plan.statements[part - 1])
        with begin_write(context.sessionmaker()) as session:
            org_id = context.organization_id
            shipment = get_shipment(session, org_id, reference)
            row = filing.statement_row(session, org_id, shipment, uuid)
            filing.record_amended(session, org_id, context.user_id, shipment, row)
            result = {"reference": reference, "uuid": uuid, "part": part}
            context.complete(session, result)
            session.commit()
        return result


def _amendable(context: jobs.JobContext, reference: str, uuid: str, part_count) -> int:
    """The part number of `uuid` if it may be amended (filing.amendable), in a short session."""
    with context.sessionmaker() as session:
        shipment = get_shipment(session, context.organization_id, reference)
        return filing.amendable(session, context.organization_id, shipment, uuid, part_count).part


def submit_amend(session, org_id: int, user_id, reference: str, uuid: str, language: str):
    """A job amending part `uuid`; refuses at once what the job would refuse before building."""
    filing.amendable(session, org_id, get_shipment(session, org_id, reference), uuid, None)
    filing.client_for(session, org_id)
    arguments = {"reference": reference, "uuid": uuid, "language": language}
    return jobs.submit(session, org_id, user_id, AMEND_KIND, arguments)


def submit(session, org_id: int, user_id, reference: str, language: str):
    """A job filing the shipment's statement; refuses at once while one is live or another
    job is filing it (a second click would file every part twice)."""
    shipment = get_shipment(session, org_id, reference)
    filing.refuse_while_filed(session, org_id, shipment)
    under_way = session.scalars(
        owned(Job, org_id).where(Job.kind == KIND, Job.status.not_in(DONE)).order_by(Job.id)
    )
    for job in under_way:
        if job.arguments.get("reference") == shipment.reference:
            raise Conflict(_("Job %(id)s is filing this shipment's statement already.", id=job.id))
    filing.client_for(session, org_id)  # no credentials: refused here, not by the job
    return jobs.submit(
        session, org_id, user_id, KIND, {"reference": reference, "language": language}
    )
