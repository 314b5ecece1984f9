"""Big workbook imports as jobs (coopchain/jobs.py): the farm registry and intake tickets. Above
JOBS_IMPORT_ROWS rows the upload page keeps the workbook with a job and answers with its
progress page; a worker imports it all or nothing, as the page would have. A refused workbook
fails the job with its bad rows named (sheet, row, column, message), and nothing is imported.

Import and completion commit together (JobContext.complete): a worker killed in the middle
imports nothing, and the worker that takes the job over imports the workbook once.

On SQLite one writer at a time holds the database, and a clerk's write waits for it at most
SQLITE_BUSY_TIMEOUT_MS (then 503): so the job reads and parses the workbook (and checks the
tickets) with no transaction open, and takes the write lock only to check the rows against
the database again and insert them. That check repeats under the lock because a clerk may
have recorded a ticket, or withdrawn a producer, since the first one. It is cheap (the
register loaded once, no query per row, ~0.3 s for 10,000 tickets); the parsing (~2 s) is not
repeated. A registry workbook is checked by the services that write it, so only its parsing
happens before the lock."""

from io import BytesIO

from flask import current_app, url_for
from flask_babel import ngettext
from openpyxl import load_workbook

from coopchain import jobs
from coopchain.db import begin_write
from coopchain.errors import DomainError
from coopchain.farms.registry_xlsx import ImportFailed, read_registry, record_registry
from coopchain.lots.lots_xlsx import check_deliveries, read_deliveries, record_deliveries
from coopchain.spreadsheets import SpreadsheetError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Row errors written into the job's error, the rest counted (the column holds 1,000 chars).
SHOWN_ERRORS = 8


def rows_in(data: bytes) -> int:
    """Data rows of every sheet (headers left out); 0 when it is no workbook (the import then
    says why, in the request)."""
    try:
        book = load_workbook(BytesIO(data), read_only=True)
    except Exception:  # noqa: BLE001  (any unreadable file: the synchronous import reports it)
        return 0
    try:
        return sum(max(sheet.max_row or 0, 1) - 1 for sheet in book.worksheets)
    finally:
        book.close()


def _refusal(exc: ImportFailed) -> DomainError:
    shown = "; ".join(
        f"{e.sheet} {e.row}{f' ({e.column})' if e.column else ''}: {e.message}"
        for e in exc.errors[:SHOWN_ERRORS]
    )
    more = len(exc.errors) - SHOWN_ERRORS
    head = ngettext(
        "Nothing was imported: %(num)s bad row.",
        "Nothing was imported: %(num)s bad rows.",
        len(exc.errors),
    )
    tail = f" (+{more})" if more > 0 else ""
    return DomainError(f"{head} {shown}{tail}")


def _import(context: jobs.JobContext, read, record, summary, check=None) -> dict:
    """Run an import as the docstring says: `read(data)` with no transaction open, then
    `check(session, org_id, parsed)` in a read transaction (a bad workbook fails without
    ever taking the write lock), then `record(session, org_id, user_id, parsed)` and the
    job's completion in one write transaction."""
    session = context.sessionmaker()
    try:
        data = context.input_file(session)
    finally:
        session.close()
    try:
        parsed = read(data)
        if check is not None:
            session = context.sessionmaker()
            try:
                check(session, context.organization_id, parsed)
            finally:
                session.close()
        session = begin_write(context.sessionmaker())
        try:
            created = record(session, context.organization_id, context.user_id, parsed)
            result = summary(created)
            context.complete(session, result)
            session.commit()
            return result
        finally:
            session.close()
    except ImportFailed as exc:
        raise _refusal(exc) from None
    except SpreadsheetError as exc:
        raise DomainError(exc.message) from None


@jobs.task("import.registry", result_page=lambda _job: url_for("farms.producer_list"))
def registry(context: jobs.JobContext) -> dict:
    # A dry run of those services outside the lock would take it just the same (any flush
    # does), so the registry has no check before the write transaction.
    return _import(
        context,
        read_registry,
        record_registry,
        lambda r: {"producers": r.producers, "agreements": r.agreements, "plots": r.plots},
    )


@jobs.task("import.deliveries", result_page=lambda _job: url_for("lots.delivery_list"))
def deliveries(context: jobs.JobContext) -> dict:
    return _import(
        context,
        read_deliveries,
        record_deliveries,
        lambda created: {
            "deliveries": len(created),
            "with_warnings": [d.ticket_number for d in created if d.intake_warnings][:100],
        },
        check=check_deliveries,
    )


def submit(session, org_id: int, user_id, kind: str, filename: str, data: bytes):
    """Keep the workbook with a new job of `kind` ("import.registry" or "import.deliveries")."""
    return jobs.submit(
        session, org_id, user_id, kind, {}, input_file=(filename or "import.xlsx", XLSX, data)
    )


def job_if_big(session, org_id: int, user_id, kind: str, filename: str, data: bytes):
    """The job importing an uploaded workbook of more than JOBS_IMPORT_ROWS rows (the pages
    and the API alike), or None: a smaller one is imported in the request."""
    if rows_in(data) <= current_app.config["JOBS_IMPORT_ROWS"]:
        return None
    return submit(session, org_id, user_id, kind, filename, data)
