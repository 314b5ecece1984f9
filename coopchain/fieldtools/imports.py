"""Import plots from a field tool's export: preview (dry run) or all-or-nothing write.

`import_field_plots` is a plain function of the session and plain values with a progress
callback, so the web page, the API, the command line and (for big files) a queued job all run
the same thing. It flushes and never commits (DESIGN.md §3); every plot is created through
farms.plots.create_plot, which checks the geometry rules and writes the ledger event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.clock import utcnow
from coopchain.db import owned
from coopchain.errors import DomainError
from coopchain.farms import plots
from coopchain.farms.models import Producer
from coopchain.fieldtools.mapping import (
    ColumnMapping,
    form_key,
    guess_mapping,
    load_mapping,
    submission_column,
)
from coopchain.fieldtools.models import FieldImportMapping, FieldSubmission
from coopchain.fieldtools.plan import PlanRow, ProducerRef, Progress, RowChecker, submission_of
from coopchain.fieldtools.readers import SourceTable, read_source
from coopchain.fieldtools.shapes import FieldIssue
from coopchain.ledger.services import append

#: Submission ids looked up per query (well under SQLite's and PostgreSQL's parameter limits).
_CHUNK = 500


@dataclass
class ImportPlan:
    fmt: str
    form_key: str
    columns: list[str]
    mapping: ColumnMapping
    #: Where the mapping came from: saved (for this form), guessed, or given.
    mapping_source: str
    rows: list[PlanRow] = field(default_factory=list)
    written: bool = False
    created_plot_ids: list[int] = field(default_factory=list)
    #: What the rows were checked against: the organisation's producers by key and the
    #: submissions imported before. A plan made before the write lock is written as it stands
    #: only while both are unchanged (import_planned).
    basis: tuple = ()

    @property
    def issues(self) -> list[FieldIssue]:
        return [i for row in self.rows for i in row.issues]

    @property
    def errors(self) -> list[FieldIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[FieldIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    def matched_producers(self) -> list[dict]:
        found: dict[int, dict] = {}
        for row in self.rows:
            if row.producer is not None:
                ref = row.producer
                entry = found.setdefault(
                    ref.id, {"member_code": ref.member_code, "name": ref.name, "rows": []}
                )
                entry["rows"].append(row.row)
        return list(found.values())

    def unmatched_producers(self) -> list[dict]:
        missing: dict[str, list[int]] = {}
        for row in self.rows:
            if row.producer is None and row.producer_text and row.status != "imported_before":
                missing.setdefault(row.producer_text, []).append(row.row)
        return [{"value": value, "rows": rows} for value, rows in missing.items()]

    def features(self) -> dict:
        drawn = [f for row in self.rows if (f := row.feature()) is not None]
        return {"type": "FeatureCollection", "features": drawn}

    def to_dict(self) -> dict:
        return {
            "format": self.fmt,
            "form_key": self.form_key,
            "columns": self.columns,
            "mapping": self.mapping.to_dict(),
            "mapping_source": self.mapping_source,
            "written": self.written,
            "counts": {
                "rows": len(self.rows),
                "new": self.count("new"),
                "imported_before": self.count("imported_before"),
                "with_errors": self.count("error"),
                "created": len(self.created_plot_ids),
            },
            "errors": [i.to_dict() for i in self.errors],
            "warnings": [i.to_dict() for i in self.warnings],
            "matched_producers": self.matched_producers(),
            "unmatched_producers": self.unmatched_producers(),
            "rows": [
                {
                    "row": r.row,
                    "submission_id": r.submission_id,
                    "status": r.status,
                    "name": r.name,
                    "crop": r.crop,
                    "producer": r.producer.member_code if r.producer else None,
                }
                for r in self.rows
            ],
            "preview": self.features(),
            "plot_ids": self.created_plot_ids,
        }


class FieldImportFailed(DomainError):
    """Nothing was written: the plan's rows have errors (each names row, column, vertex)."""

    code = "bad_rows"

    def __init__(self, plan: ImportPlan):
        count = len(plan.errors)
        super().__init__(
            str(_l("Nothing was imported: %(count)s problem(s) to fix first.", count=count))
        )
        self.plan = plan


def saved_mapping(session: Session, org_id: int, key: str) -> FieldImportMapping | None:
    return session.scalar(
        owned(FieldImportMapping, org_id).where(FieldImportMapping.form_key == key)
    )


def resolve_mapping(
    session: Session, org_id: int, table: SourceTable, fmt: str, given: dict | None
) -> tuple[ColumnMapping, str, str]:
    """The saved mapping of this form, else a guess; what the user gave overrides either."""
    key = form_key(fmt, table.columns)
    saved = saved_mapping(session, org_id, key)
    if saved is not None:
        base, source = load_mapping(saved.mapping, table.columns, ColumnMapping()), "saved"
    else:
        base, source = guess_mapping(table), "guessed"
    if given:
        return load_mapping(given, table.columns, base), "given", key
    return base, source, key


def _producers(session: Session, org_id: int, key: str) -> dict[str, ProducerRef]:
    column = Producer.national_id if key == "national_id" else Producer.member_code
    rows = session.execute(
        owned(Producer, org_id)
        .with_only_columns(Producer.id, Producer.member_code, column, Producer.first_name)
        .add_columns(Producer.last_name)
    )
    return {
        str(value).strip(): ProducerRef(pid, code, f"{first} {last}")
        for pid, code, value, first, last in rows
        if value
    }


def _imported(session: Session, org_id: int, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.update(
            session.scalars(
                owned(FieldSubmission, org_id)
                .where(FieldSubmission.submission_id.in_(chunk))
                .with_only_columns(FieldSubmission.submission_id)
            )
        )
    return found


def plan_import(
    session: Session,
    org_id: int,
    table: SourceTable,
    fmt: str,
    mapping: ColumnMapping,
    *,
    mapping_source: str,
    key: str,
    max_accuracy_m: float,
    progress: Progress | None = None,
    total_steps: int | None = None,
) -> ImportPlan:
    id_column = submission_column(table.columns)
    ids = [submission_of(r, id_column) for r in table.rows]
    basis = _basis(session, org_id, mapping, ids)
    checker = RowChecker(table, mapping, *basis, max_accuracy_m)
    plan = ImportPlan(fmt, key, table.columns, mapping, mapping_source, basis=basis)
    total = total_steps or len(table.rows)
    for done, source in enumerate(table.rows, start=1):
        plan.rows.append(checker.check(source))
        if progress is not None:
            progress(done, total)
    return plan


def import_field_plots(
    session: Session,
    org_id: int,
    user_id: int | None,
    data: bytes,
    fmt: str,
    mapping: dict | None = None,
    *,
    confirm: bool,
    max_accuracy_m: float,
    save_mapping: bool = True,
    progress: Progress | None = None,
) -> ImportPlan:
    """Read, map and check every row; with confirm, write every new plot or none.

    Raises FieldFileError (the file is unusable), DomainError (the mapping names a column
    the file lacks) or, with confirm, FieldImportFailed when any row has an error.
    progress(done, total) is called per row checked and, with confirm, per row written."""
    table = read_source(data, fmt)
    column_mapping, source, key = resolve_mapping(session, org_id, table, fmt, mapping)
    steps = len(table.rows) * (2 if confirm else 1)
    plan = plan_import(
        session,
        org_id,
        table,
        fmt,
        column_mapping,
        mapping_source=source,
        key=key,
        max_accuracy_m=max_accuracy_m,
        progress=progress,
        total_steps=steps,
    )
    if not confirm:
        return plan
    if plan.errors:
        raise FieldImportFailed(plan)
    if not plan.count("new"):
        return plan  # every submission was imported before: nothing changes, and it says so
    _write(session, org_id, user_id, plan, save_mapping, progress, steps)
    return plan


def import_planned(
    session: Session,
    org_id: int,
    user_id: int | None,
    data: bytes,
    fmt: str,
    mapping: dict | None,
    plan: ImportPlan,
    *,
    max_accuracy_m: float,
) -> ImportPlan:
    """Write `plan`, made by import_field_plots without confirm in an earlier transaction (a job
    checks the rows before it takes SQLite's write lock, which holds every clerk's save), all or
    nothing. Its rows are written as checked while the producers and the submissions imported
    before are what they were checked against; otherwise (someone imported the same file or
    changed a producer meanwhile) the file is checked again here and written, exactly as
    import_field_plots with confirm would."""
    if plan.errors:
        raise FieldImportFailed(plan)
    ids = [row.submission_id for row in plan.rows]
    if _basis(session, org_id, plan.mapping, ids) != plan.basis:
        return import_field_plots(
            session,
            org_id,
            user_id,
            data,
            fmt,
            mapping,
            confirm=True,
            max_accuracy_m=max_accuracy_m,
        )
    if plan.count("new"):
        _write(session, org_id, user_id, plan, True, None, 0)
    return plan


def _basis(session: Session, org_id: int, mapping: ColumnMapping, ids: list[str]) -> tuple:
    return _producers(session, org_id, mapping.producer_key), _imported(session, org_id, ids)


def _write(session, org_id, user_id, plan: ImportPlan, save_mapping, progress, steps) -> None:
    """Every new plot in one batch (create_checked_plots: one flush, one ledger lock), which
    keeps 2,000 rows within the issue's 20 s; rows already passed the plot rules (plan.py)."""
    new = [row for row in plan.rows if row.status == "new"]
    savepoint = session.begin_nested()
    made = plots.create_checked_plots(
        session,
        org_id,
        user_id,
        [(_plot_data(row), row.producer.member_code, row.report) for row in new],
    )
    session.add_all(
        FieldSubmission(
            organization_id=org_id,
            submission_id=row.submission_id,
            form_key=plan.form_key,
            plot_id=plot.id,
            accuracies=row.accuracies,
        )
        for row, plot in zip(new, made, strict=True)
    )
    plan.created_plot_ids = [plot.id for plot in made]
    if save_mapping:
        _save_mapping(session, org_id, plan)
    append(
        session,
        org_id,
        "plots.field_imported",
        ("field_import", plan.form_key),
        {
            "format": plan.fmt,
            "form_key": plan.form_key,
            "plot_ids": plan.created_plot_ids,
            "imported_before": plan.count("imported_before"),
        },
        user_id=user_id,
    )
    savepoint.commit()
    plan.written = True
    if progress is not None:
        progress(steps, steps)


def _plot_data(row: PlanRow) -> dict:
    # Poor GPS fixes stay visible on the plot, next to the geometry rules' warnings.
    flagged = [
        {**i.to_dict(), "params": {"vertex": i.vertex}}
        for i in row.issues
        if i.rule == "accuracy.poor"
    ]
    return {
        "producer_id": row.producer.id,
        "name": row.name,
        "crop": row.crop,
        "declared_area_ha": row.declared_area_ha,
        "shade_agroforestry": False,
        "extra_issues": flagged,
    }


def _save_mapping(session: Session, org_id: int, plan: ImportPlan) -> None:
    saved = saved_mapping(session, org_id, plan.form_key)
    if saved is None:
        saved = FieldImportMapping(organization_id=org_id, form_key=plan.form_key)
    saved.mapping, saved.updated_at = plan.mapping.to_dict(), utcnow()
    session.add(saved)
    session.flush()
