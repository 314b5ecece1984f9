"""Big workbook imports as jobs (coopchain/jobs.py): the farm registry and intake tickets. Above
JOBS_IMPORT_ROWS rows the upload page keeps the workbook with a job and answers with its
progress page; a worker imports it all or nothing, as the page would have. A refused workbook
fails the job with its bad rows named (sheet, row, column, message), and nothing is imported.

Import and completion commit together (JobContext.complete): a worker killed in the middle
imports nothing, and the worker that takes the job over imports the workbook once."""

from io import BytesIO

from flask import url_for
from flask_babel import ngettext
from openpyxl import load_workbook

from coopchain import jobs
from coopchain.db import begin_write
from coopchain.errors import DomainError
from coopchain.farms.registry_xlsx import ImportFailed, import_registry
from coopchain.lots.lots_xlsx import import_deliveries
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


def _import(context: jobs.JobContext, do_import, summary) -> dict:
    session = context.sessionmaker()
    try:
        data = context.input_file(session)
        session.rollback()
        begin_write(session)
        try:
            created = do_import(session, context.organization_id, context.user_id, data)
        except ImportFailed as exc:
            raise _refusal(exc) from None
        except SpreadsheetError as exc:
            raise DomainError(exc.message) from None
        result = summary(created)
        context.complete(session, result)
        session.commit()
        return result
    finally:
        session.close()


@jobs.task("import.registry", result_page=lambda _job: url_for("farms.producer_list"))
def registry(context: jobs.JobContext) -> dict:
    return _import(
        context,
        import_registry,
        lambda r: {"producers": r.producers, "agreements": r.agreements, "plots": r.plots},
    )


@jobs.task("import.deliveries", result_page=lambda _job: url_for("lots.delivery_list"))
def deliveries(context: jobs.JobContext) -> dict:
    return _import(
        context,
        import_deliveries,
        lambda created: {
            "deliveries": len(created),
            "with_warnings": [d.ticket_number for d in created if d.intake_warnings][:100],
        },
    )


def submit(session, org_id: int, user_id, kind: str, filename: str, data: bytes):
    """Keep the workbook with a new job of `kind` ("import.registry" or "import.deliveries")."""
    return jobs.submit(
        session, org_id, user_id, kind, {}, input_file=(filename or "import.xlsx", XLSX, data)
    )
