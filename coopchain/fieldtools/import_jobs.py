"""Big plot imports from field tools as jobs (coopchain/jobs.py): above JOBS_IMPORT_ROWS rows,
confirming the mapped preview hands the file to a worker, which writes every new plot or none,
exactly as the page would have, and names the rows to fix when it refuses.

The preview (the map and the problems) stays in the request: it writes nothing and the user
must see it before importing. The job checks the rows again before taking the write lock and
writes them under it (imports.import_planned), so on SQLite a clerk's save is not held behind
the geometry checks. Writing and the job's completion commit together
(JobContext.complete), so a worker killed mid-import writes nothing and the worker that takes
the job over imports the file once; a submission imported meanwhile is then skipped as
imported before (its _uuid / instanceID)."""

from flask import url_for
from flask_babel import ngettext

from coopchain import jobs
from coopchain.db import begin_write
from coopchain.errors import DomainError
from coopchain.fieldtools.imports import FieldImportFailed, import_field_plots, import_planned
from coopchain.fieldtools.rows import FieldFileError

KIND = "import.plots"
#: Row problems written into the job's error, the rest counted (the column holds 1,000 chars).
SHOWN_ERRORS = 8


def _refusal(exc: FieldImportFailed) -> DomainError:
    errors = exc.plan.errors
    shown = "; ".join(
        f"{e.row}{f' ({e.column})' if e.column else ''}"
        f"{f' [{e.vertex}]' if e.vertex else ''}: {e.message}"
        for e in errors[:SHOWN_ERRORS]
    )
    head = ngettext(
        "Nothing was imported: %(num)s bad row.",
        "Nothing was imported: %(num)s bad rows.",
        len({e.row for e in errors}),
    )
    more = len(errors) - SHOWN_ERRORS
    return DomainError(f"{head} {shown}{f' (+{more})' if more > 0 else ''}")


@jobs.task(KIND, result_page=lambda _job: url_for("farms.coop_map"))
def plots(context: jobs.JobContext, fmt: str, mapping: dict, max_accuracy_m: float) -> dict:
    session = context.sessionmaker()
    try:
        data = context.input_file(session)
        arguments = (context.organization_id, context.user_id, data, fmt, mapping)
        try:
            # Checked in a read transaction, with progress (committed by other connections);
            # the write lock is taken only to write (import_planned), so a clerk's ticket is
            # not held behind the geometry checks of thousands of rows.
            checked = import_field_plots(
                session,
                *arguments,
                confirm=False,
                max_accuracy_m=max_accuracy_m,
                progress=jobs.sparse(context.progress),
            )
            session.rollback()
            begin_write(session)
            plan = import_planned(session, *arguments, checked, max_accuracy_m=max_accuracy_m)
        except FieldImportFailed as exc:
            raise _refusal(exc) from None
        except FieldFileError as exc:
            raise DomainError(exc.message) from None
        result = {
            "plots": plan.count("new"),
            "imported_before": plan.count("imported_before"),
            "written": plan.written,
        }
        context.complete(session, result)
        session.commit()
        return result
    finally:
        session.close()


def submit(session, org_id: int, user_id, upload, mapping: dict, max_accuracy_m: float):
    """Hand the kept upload and the user's mapping to a new job."""
    return jobs.submit(
        session,
        org_id,
        user_id,
        KIND,
        {"fmt": upload.format, "mapping": mapping, "max_accuracy_m": max_accuracy_m},
        input_file=(upload.filename or "plots", "application/octet-stream", upload.data),
    )
