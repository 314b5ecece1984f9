"""FAO Whisp results imported as forest evidence of kind "whisp" (DOMAIN.md §7).

Whisp ("What is in that plot?", github.com/forestdatapartnership/whisp, Python package
openforis_whisp) runs each plot of a GeoJSON against public forest, commodity and disturbance
maps and writes one CSV row per plot. What this module relies on, as read in that repository
(src/openforis_whisp/parameters/config_runtime.py, risk.py, stats.py and the sample output
tests/fixtures/local_current_10ha.csv):

- ``plotId``: Whisp's own row number (1, 2, …), *not* ours; refused as the id column.
- ``external_id``: the value of the input feature property named by Whisp's
  ``external_id_column`` argument, copied into this standard column (stats.py,
  ``whisp_stats_ee_to_ee``; "unknown" when a feature lacks it). CoopChain's Whisp input
  (:func:`whisp_input_geojson`) gives every plot the property ``plot_id``, so running Whisp with
  ``external_id_column="plot_id"`` brings our plot ids back in ``external_id``. Another column
  may be named (``id_column``) for files prepared some other way.
- ``risk_pcrop``: the perennial-crop (coffee, cocoa) decision tree (risk.py,
  ``add_risk_pcrop_col``): ``low`` when there was no tree cover in 2020, a commodity was already
  there, or the disturbance predates 2020; otherwise ``more_info_needed`` when nothing was
  disturbed after 2020; otherwise ``high``. Outputs from 2024 call the same column
  ``EUDR_risk``.
- ``Ind_01_treecover``, ``Ind_02_commodities``, ``Ind_03_disturbance_before_2020``,
  ``Ind_04_disturbance_after_2020`` … ``Ind_13_other_land_2020``: "yes"/"no" indicators
  (older outputs: ``Indicator_1_treecover`` … ``Indicator_4_disturbance_after_2020``).
- ``Area`` and ``Unit`` ("ha" or "percent"): statistics are hectares or % of ``Area``.
- ``GFC_loss_after_2020``, ``TMF_def_after_2020``, ``RADD_after_2020`` …: disturbance after
  2020 per dataset. Only Hansen's ``GFC_loss_after_2020`` is read as hectares lost (Hansen is
  the loss map of DOMAIN.md §7); ``high`` may come from other datasets, so when it is absent or
  zero the evidence keeps no hectares and says so in its notes.

The risk maps to our results: low → deforestation_free, more_info_needed → more_info_needed
(shade coffee reads as tree cover: a field visit resolves it, farms/field_evidence.py), high →
loss_after_cutoff. Unlike evidence typed by hand (forest.record_evidence), a Whisp loss may
have no hectares.

The import is all or nothing, like the spreadsheet imports (lots/lots_xlsx.py): the whole file
is read and checked first (each row by whisp_rows.py), every problem is reported with its row
and column, and nothing is written when any row is bad. Cell text is only ever stored and shown
as data.
"""

import csv
import io
import math
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from coopchain.clock import today
from coopchain.db import in_organization
from coopchain.errors import DomainError
from coopchain.farms.models import EvidenceKind, ForestEvidence, ForestResult, Plot
from coopchain.forest.field_evidence import display_name
from coopchain.forest.whisp_rows import WhispRow, _check_row, _columns
from coopchain.ledger.services import append_many
from coopchain.spreadsheets import RowError

MB = 1024 * 1024
MAX_BYTES = 20 * MB
MAX_ROWS = 50_000
#: Where Whisp puts the value of the input's external_id_column (config_runtime.py).
DEFAULT_ID_COLUMN = "external_id"
#: The property our Whisp input gives each plot (pass it to Whisp as external_id_column).
PLOT_ID_PROPERTY = "plot_id"
#: Whisp's own row number: never a CoopChain plot id.
WHISP_ROW_NUMBER = "plotId"
#: Whisp writes commas (pandas); Excel in a Spanish locale saves semicolons; tabs for pasting.
DELIMITERS = (",", ";", "\t")
SOURCE_PREFIX = "FAO Whisp"


class WhispImportFailed(DomainError):
    """Nothing was imported. `errors` lists every row problem (row, column, message) in file
    order; `fields` holds them as {"rows": [...]} with file-level problems under "file" and
    bad arguments under their own name ("observed_on", "id_column")."""

    def __init__(self, errors: list[RowError], fields: dict[str, list[str]]):
        self.errors = sorted(errors, key=lambda e: (e.row, e.column or ""))
        count = len(self.errors) + sum(len(m) for m in fields.values())
        all_fields = dict(fields)
        if self.errors:
            all_fields["rows"] = [e.to_dict() for e in self.errors]
        super().__init__(
            str(_l("Nothing was imported: %(n)s problem(s) to fix.", n=count)), all_fields
        )


def import_whisp_csv(
    session: Session,
    org_id: int,
    user_id: int | None,
    data: bytes,
    *,
    filename: str = "whisp.csv",
    observed_on: date | str | None = None,
    id_column: str = DEFAULT_ID_COLUMN,
) -> dict[str, int]:
    """Record one piece of Whisp evidence per row, or none. `observed_on` is the day Whisp ran
    (a date or ISO text; today when not given). Returns {result: number of plots}."""
    fields: dict[str, list[str]] = {}
    day = _analysis_date(observed_on, fields)
    id_column = (id_column or "").strip() or DEFAULT_ID_COLUMN
    if id_column.casefold() == WHISP_ROW_NUMBER.casefold():
        fields["id_column"] = [
            str(_l("plotId is Whisp's own row number, not a CoopChain plot id. Use external_id."))
        ]
    if "id_column" in fields:
        rows, errors, file_problems = [], [], []
    else:
        rows, errors, file_problems = read_whisp_csv(data, id_column)
    sheet = _display_name(filename)
    errors = [RowError(sheet, e.row, e.column, e.message) for e in errors]
    errors += _ownership_errors(session, org_id, rows, id_column, sheet)
    if file_problems:
        fields["file"] = file_problems
    if errors or fields:
        raise WhispImportFailed(errors, fields)

    source = f"{SOURCE_PREFIX} · {sheet}"[:300]
    no_hectares = str(_l("Hectares lost not given by Whisp."))
    evidence = [
        ForestEvidence(
            organization_id=org_id,
            plot_id=row.plot_id,
            kind=EvidenceKind.WHISP,
            result=row.result,
            loss_after_cutoff_ha=row.loss_ha,
            source=source,
            observed_on=day,
            notes=(
                no_hectares
                if row.result == ForestResult.LOSS_AFTER_CUTOFF and row.loss_ha is None
                else None
            ),
            measurements=row.measurements,
            user_id=user_id,
        )
        for row in rows
    ]
    session.add_all(evidence)
    session.flush()
    append_many(
        session,
        org_id,
        [
            {
                "kind": "forest.evidence_recorded",
                "subject": ("plot", ev.plot_id),
                "payload": {
                    "evidence": ev.id,
                    "kind": ev.kind,
                    "result": ev.result,
                    "source": ev.source,
                    "observedOn": ev.observed_on,
                    "lossAfterCutoffHa": ev.loss_after_cutoff_ha,
                    "whispRisk": row.risk,
                    "measurements": ev.measurements,
                },
                "action": "OBSERVE",
            }
            for ev, row in zip(evidence, rows, strict=True)
        ],
        user_id=user_id,
    )
    summary: dict[str, int] = {}
    for row in rows:
        summary[row.result.value] = summary.get(row.result.value, 0) + 1
    return summary


def read_whisp_csv(
    data: bytes, id_column: str = DEFAULT_ID_COLUMN
) -> tuple[list[WhispRow], list[RowError], list[str]]:
    """Parse and check a Whisp CSV without the database: (good rows, row problems, file
    problems). Rows are numbered as a spreadsheet shows them: the header is row 1."""
    text, problem = _decode(data)
    if problem:
        return [], [], [problem]
    delimiter = _delimiter(text)
    # A plot outline in Whisp's "geo" column can exceed csv's 128 KB default field limit; the
    # file as a whole is already capped at MAX_BYTES. Only ever raised, so this is idempotent.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip() for cell in next(reader, [])]
        columns, header_errors = _columns(header, id_column)
        if header_errors:
            return [], header_errors, []
        rows: list[WhispRow] = []
        errors: list[RowError] = []
        first_row: dict[int, int] = {}
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if number - 1 > MAX_ROWS:
                limit = f"{MAX_ROWS:,}"
                return [], [], [str(_l("More than %(n)s rows: split the file.", n=limit))]
            row, row_errors = _check_row(number, cells, header, columns, delimiter)
            if row is not None and row.plot_id in first_row:
                message = _l(
                    "Plot %(id)s repeats row %(row)s.", id=row.plot_id, row=first_row[row.plot_id]
                )
                row_errors.append(RowError("", number, columns["id"][1], str(message)))
            elif row is not None:
                first_row[row.plot_id] = number
            errors.extend(row_errors)
            if row is not None and not row_errors:
                rows.append(row)
    except csv.Error as exc:
        message = _l(
            "This file could not be read as CSV near line %(line)s (%(why)s).",
            line=reader.line_num,
            why=exc,
        )
        return [], [], [str(message)]
    if not rows and not errors:
        return [], [], [str(_l("The file has Whisp's column names but no rows."))]
    return rows, errors, []


def whisp_input_geojson(session: Session, org_id: int) -> dict:
    """The organisation's plots as Whisp's input: a FeatureCollection whose only property is
    ``plot_id``, so Whisp (external_id_column="plot_id") hands our ids back. Names and
    member codes stay home; plots without a location are left out (Whisp needs one)."""
    plots = session.execute(
        select(Plot.id, Plot.geometry)
        .where(in_organization(Plot, org_id), Plot.geometry.is_not(None))
        .order_by(Plot.id)
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": geometry, "properties": {PLOT_ID_PROPERTY: plot_id}}
            for plot_id, geometry in plots
            if geometry
        ],
    }


# --- reading ----------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str | None]:
    if len(data) > MAX_BYTES:
        size = f"{math.ceil(len(data) / MB * 10) / 10:g}"
        limit = f"{MAX_BYTES // MB}"
        message = _l("The file is %(size)s MB; the limit is %(limit)s MB.", size=size, limit=limit)
        return "", str(message)
    if not data.strip():
        return "", str(_l("The file is empty."))
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        return "", str(
            _l("This is not a CSV file (it may be an Excel workbook). Upload the .csv Whisp wrote.")
        )
    try:
        # utf-8-sig drops the byte-order mark Excel puts in front of "CSV UTF-8" files.
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return "", str(
            _l('The file is not UTF-8 text. In Excel, save it as "CSV UTF-8 (comma delimited)".')
        )


def _delimiter(text: str) -> str:
    """The separator that splits the header into the most columns (comma on a tie)."""
    first_line = text.split("\n", 1)[0]
    return max(DELIMITERS, key=lambda d: (first_line.count(d), -DELIMITERS.index(d)))


def _display_name(filename: str | None) -> str:
    """The upload's own name, short enough for the evidence's source."""
    return display_name(filename, limit=200, default="whisp.csv")


# --- checking against the register ------------------------------------------------------------


def _analysis_date(value, fields: dict) -> date:
    if value in (None, ""):
        return today()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date) or value > today():
        fields["observed_on"] = [str(_l("The day Whisp ran: a date that is not in the future."))]
        return today()
    return value


def _ownership_errors(session, org_id, rows, id_column, sheet) -> list[RowError]:
    """Rows whose plot is unknown or another organisation's: the same words for both, so an
    import never tells whether someone else's plot exists."""
    if not rows:
        return []
    ours = set(session.scalars(select(Plot.id).where(in_organization(Plot, org_id))))
    return [
        RowError(
            sheet,
            row.row,
            id_column,
            str(_l("Plot %(id)s is not one of yours.", id=row.plot_id)),
        )
        for row in rows
        if row.plot_id not in ours
    ]
