"""Certificates of large shipments and lots as jobs (coopchain/jobs.py): checking a shipment
traced to hundreds of bags and thousands of deliveries and laying out its origin table takes
WeasyPrint seconds, so above JOBS_CERTIFICATE_BAGS bags, or JOBS_CERTIFICATE_PLOTS origin plots
for a lot or a shipment, the issue button (and the API) starts a job and shows its progress; the
job's result links to the registered certificate.

The PDF is rendered before the write lock is taken (registry.issue_in_two_steps), so a long
render does not stop the collection centre's writes on SQLite. The certificate and the job's
completion commit together (JobContext.complete): a worker killed while rendering registers
nothing, and the worker taking over registers it once."""

from flask import current_app, url_for

from coopchain import jobs
from coopchain.certs import registry
from coopchain.certs.models import SubjectKind
from coopchain.lots.origins import origins_of_many
from coopchain.lots.services import get_lot
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


def is_large(session, org_id: int, kind: str, reference: str) -> bool:
    """Whether the certificate is issued by a job: a shipment of more than
    JOBS_CERTIFICATE_BAGS bags, or any subject whose origins span more than
    JOBS_CERTIFICATE_PLOTS plots (the origin table's rows are the render's cost, and a request
    renders holding the write lock). NotFound for another organisation's subject."""
    config = current_app.config
    if kind == SubjectKind.SHIPMENT:
        bags = bags_of(session, get_shipment(session, org_id, reference))
        if len(bags) > config["JOBS_CERTIFICATE_BAGS"]:
            return True
        lots = list({lot.id: lot for _bag, lot in bags}.values())
    else:
        lots = [get_lot(session, org_id, reference)]
    plots = {
        origin.plot_id
        for found in origins_of_many(session, org_id, lots).values()
        for origin in found.origins
    }
    return len(plots) > config["JOBS_CERTIFICATE_PLOTS"]


def is_large_shipment(session, org_id: int, reference: str) -> bool:
    """A shipment whose EUDR documents (package, DDS, bundle) are made by jobs, on the staff
    pages and in the API: more than JOBS_CERTIFICATE_BAGS bags. NotFound for another
    organisation's shipment."""
    threshold = current_app.config["JOBS_CERTIFICATE_BAGS"]
    return len(bags_of(session, get_shipment(session, org_id, reference))) > threshold


def submit(session, org_id: int, user_id, kind, reference, values: dict, may_override: bool):
    arguments = {
        "kind": str(kind),
        "reference": reference,
        "language": values["language"],
        "override_reason": values["override_reason"],
        "may_override": may_override,
    }
    return jobs.submit(session, org_id, user_id, KIND, arguments)
