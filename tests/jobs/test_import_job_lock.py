"""A workbook import job takes SQLite's write lock only to write: while it reads and parses the
workbook a clerk's ticket is recorded (it used to wait the whole import, then fail), and what
changed meanwhile is checked again under the lock, so the import stays all or nothing against
the register as it is when it writes."""

import threading
from datetime import date

import pytest

from coopchain.db import session_scope
from coopchain.farms import producers, registry_xlsx
from coopchain.farms.registry_xlsx import PRODUCER_COLUMNS
from coopchain.job_rows import Job, JobStatus
from coopchain.lots import lots_xlsx
from coopchain.lots.lots_xlsx import DELIVERY_COLUMNS
from coopchain.spreadsheets import import_jobs, write_workbook
from tests.helpers.sqlite_file import deliveries_in, ticket_form


def tickets_workbook(producer, plot, numbers) -> bytes:
    rows = [
        [n, producer.member_code, plot.id, None, "dry_parchment", 520.5, 20.5, 12.5]
        + [date(2026, 6, 10), 14.2, None]
        for n in numbers
    ]
    return write_workbook([("Deliveries", DELIVERY_COLUMNS, rows)])


def producers_workbook(codes) -> bytes:
    rows = [
        [
            {"member_code": c, "first_name": "Ana", "last_name": "Quispe"}.get(h)
            for h in PRODUCER_COLUMNS
        ]
        for c in codes
    ]
    return write_workbook([("Producers", PRODUCER_COLUMNS, rows)])


def clerk(site):
    """record(number) posts a ticket as a logged-in clerk, from a thread of its own (as another
    web request would: no app context shared with the job) and returns the status code."""
    client = site.app.test_client()
    assert (
        client.post("/login", data={"email": site.email, "password": "pw-1234"}).status_code == 302
    )

    def record(number: str) -> int:
        answer = []
        form = ticket_form(site.producer, site.plot, number)
        thread = threading.Thread(
            target=lambda: answer.append(client.post("/deliveries/new", data=form).status_code)
        )
        thread.start()
        thread.join()
        return answer[0]

    return record


def run_import(site, kind: str, data: bytes) -> Job:
    with site.app.app_context(), session_scope(site.app) as session:
        # JOBS_IMMEDIATE: the job runs here, with the app's real sessions, once this commits.
        job_id = import_jobs.submit(session, site.org_id, None, kind, "book.xlsx", data).id
    with session_scope(site.app) as session:
        return session.get(Job, job_id)


@pytest.mark.parametrize(
    ("kind", "reader", "workbook", "result"),
    [
        (
            "import.deliveries",
            lots_xlsx,
            lambda site: tickets_workbook(site.producer, site.plot, ["W-1", "W-2", "W-3"]),
            {"deliveries": 3},
        ),
        (
            "import.registry",
            registry_xlsx,
            lambda _site: producers_workbook(["N-1", "N-2"]),
            {"producers": 2},
        ),
    ],
    ids=["deliveries", "registry"],
)
def test_a_clerk_records_a_ticket_while_the_import_job_reads_its_workbook(
    site, monkeypatch, kind, reader, workbook, result
):
    record = clerk(site)
    answers = []
    read_workbook = reader.read_workbook

    def reading(data, specs):
        answers.append(record(f"CLERK-{len(answers)}"))
        return read_workbook(data, specs)

    monkeypatch.setattr(reader, "read_workbook", reading)
    before = deliveries_in(site.app)
    job = run_import(site, kind, workbook(site))
    assert answers == [302]  # recorded, not refused as "busy"
    assert (job.status, job.error) == (JobStatus.FINISHED, None)
    assert job.result.items() >= result.items()
    assert deliveries_in(site.app) == before + 1 + result.get("deliveries", 0)


def test_a_producer_withdrawn_after_the_job_checked_the_tickets_stops_the_import(site, monkeypatch):
    """The rows are checked again under the write lock: tickets of a producer withdrawn between
    the first check and the writing are refused, and nothing is imported."""
    begin_write = import_jobs.begin_write

    def withdraw_then_write(session):
        with site.app.app_context(), session_scope(site.app) as other:
            producer = producers.get_producer(other, site.org_id, site.producer.id)
            data = {name: getattr(producer, name) for name in producers.PRODUCER_FIELDS}
            producers.update_producer(
                other, site.org_id, None, producer.id, {**data, "status": "withdrawn"}
            )
        return begin_write(session)

    monkeypatch.setattr(import_jobs, "begin_write", withdraw_then_write)
    before = deliveries_in(site.app)
    job = run_import(site, "import.deliveries", tickets_workbook(site.producer, site.plot, ["X-1"]))
    assert job.status == JobStatus.FAILED
    # The job's error names the row and column (its message is in the organisation's language).
    assert "Deliveries 2 (producer_code)" in job.error
    assert deliveries_in(site.app) == before
