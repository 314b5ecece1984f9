"""Certificates of large shipments as jobs (coopchain/jobs.py): checking a shipment traced to
hundreds of bags and thousands of deliveries and laying out its origin table takes WeasyPrint
seconds, so above JOBS_CERTIFICATE_BAGS bags the issue button starts a job and shows its
progress; the job's result links to the registered certificate.

The PDF is rendered before the write lock is taken (registry.issue_in_two_steps), so a long
render does not stop the collection centre's writes on SQLite. The certificate and the job's
completion commit together (JobContext.complete): a worker killed while rendering registers
nothing, and the worker taking over registers it once."""

from flask import current_app, url_for

from coopchain import jobs
from coopchain.certs import registry
from coopchain.shipments.services import bags_of, get_shipment

KIND = "certificate.issue"


def _result_page(job) -> str | None:
    number = (job.result or {}).get("number")
    return url_for("certs.certificate_detail", number=number) if number else None


@jobs.task(KIND, result_page=_result_page)
def issue(
    context: jobs.JobContext,
    kind: str,
    reference: str,
    language: str,
    override_reason: str,
    may_override: bool,
) -> dict:
    session = context.sessionmaker()
    try:
        request = registry.Request(kind, reference, language, override_reason, may_override)
        # Rendered before the write lock is taken: on SQLite that lock is the whole database's.
        certificate = registry.issue_in_two_steps(
            session, context.organization_id, context.user_id, request
        )
        result = {"number": certificate.number, "kind": kind, "reference": reference}
        context.complete(session, result)
        session.commit()
        return result
    finally:
        session.close()


def is_large(session, org_id: int, kind: str, reference: str, threshold: int) -> bool:
    """A shipment of more bags than `threshold` (lots are certified in the request)."""
    if kind != "shipment":
        return False
    return len(bags_of(session, get_shipment(session, org_id, reference))) > threshold


def is_large_shipment(session, org_id: int, reference: str) -> bool:
    """A shipment whose documents (certificate, EUDR package, DDS) are made by jobs, on the
    staff pages and in the API: more than JOBS_CERTIFICATE_BAGS bags. NotFound for another
    organisation's shipment."""
    threshold = current_app.config["JOBS_CERTIFICATE_BAGS"]
    return is_large(session, org_id, "shipment", reference, threshold)


def submit(session, org_id: int, user_id, kind, reference, values: dict, may_override: bool):
    arguments = {
        "kind": str(kind),
        "reference": reference,
        "language": values["language"],
        "override_reason": values["override_reason"],
        "may_override": may_override,
    }
    return jobs.submit(session, org_id, user_id, KIND, arguments)
