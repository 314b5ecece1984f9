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
is read and checked first, every problem is reported with its row and column, and nothing is
written when any row is bad. Cell text is only ever stored and shown as data.
"""

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from coopchain.clock import today
from coopchain.errors import DomainError
from coopchain.farms.models import EvidenceKind, ForestEvidence, ForestResult, Plot
from coopchain.forest.field_evidence import display_name
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
#: The perennial-crop risk, by its current name first, then the 2024 one.
RISK_COLUMNS = ("risk_pcrop", "EUDR_risk")
RESULT_OF_RISK = {
    "low": ForestResult.DEFORESTATION_FREE,
    "more_info_needed": ForestResult.MORE_INFO_NEEDED,
    "high": ForestResult.LOSS_AFTER_CUTOFF,
}
#: Hansen loss after 2020, in the file's Unit (hectares or % of Area).
LOSS_COLUMN = "GFC_loss_after_2020"
#: Whisp writes commas (pandas); Excel in a Spanish locale saves semicolons; tabs for pasting.
DELIMITERS = (",", ";", "\t")
#: Columns kept in ForestEvidence.measurements: the indicators and what they were made of.
KEPT_COLUMNS = {
    "plotid",
    "area",
    "unit",
    "risk_pcrop",
    "risk_acrop",
    "risk_timber",
    "risk_cattle",
    "eudr_risk",
    "whisp_processing_metadata",
}
KEPT_PREFIXES = ("ind_", "indicator_")
KEPT_SUFFIX = "_after_2020"
#: A kept text cell is cut to this length (a measurement, not a document).
MAX_KEPT_TEXT = 300
SOURCE_PREFIX = "FAO Whisp"
#: Ids fit the database's 32-bit integer column; anything longer is not one of ours.
MAX_PLOT_ID = 2**31 - 1
_WHOLE_NUMBER = re.compile(r"^\d+(\.0*)?$")
_NUMBER = re.compile(r"^-?\d+([.,]\d+)?([eE][-+]?\d+)?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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


@dataclass(frozen=True)
class WhispRow:
    """One checked row: which plot, what Whisp said, what we keep of it."""

    row: int
    plot_id: int
    risk: str
    result: ForestResult
    loss_ha: Decimal | None
    measurements: dict


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
        .where(Plot.organization_id == org_id, Plot.geometry.is_not(None))
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


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _columns(header: list[str], id_column: str) -> tuple[dict, list[RowError]]:
    """{"id": (index, name), "risk": (index, name), "loss", "unit", "area", "kept": [...]}, or
    the header's problems (row 1)."""
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        positions.setdefault(_norm(name), []).append(index)
    errors: list[RowError] = []
    columns: dict = {}

    def find(names: tuple[str, ...], key: str, required: bool) -> None:
        for name in names:
            found = positions.get(_norm(name), [])
            if len(found) > 1:
                message = _l('The column "%(column)s" appears twice.', column=name)
                errors.append(RowError("", 1, name, str(message)))
                return
            if found:
                columns[key] = (found[0], header[found[0]])
                return
        if required:
            shown = ", ".join(header[:12]) + (" …" if len(header) > 12 else "")
            message = _l(
                'The column "%(column)s" is missing. The first row must hold Whisp\'s column '
                "names; found %(n)s: %(found)s.",
                column=names[0],
                n=len(header),
                found=shown or "-",
            )
            errors.append(RowError("", 1, names[0], str(message)))

    find((id_column,), "id", True)
    find(RISK_COLUMNS, "risk", True)
    find((LOSS_COLUMN,), "loss", False)
    find(("Unit",), "unit", False)
    find(("Area",), "area", False)
    columns["kept"] = [
        (index, name)
        for index, name in enumerate(header)
        if name
        and (
            _norm(name) in KEPT_COLUMNS
            or _norm(name).startswith(KEPT_PREFIXES)
            or _norm(name).endswith(KEPT_SUFFIX)
        )
    ]
    return columns, errors


def _check_row(number, cells, header, columns, delimiter) -> tuple[WhispRow | None, list]:
    if len(cells) != len(header):
        message = _l(
            "This row has %(n)s cells; the first row has %(m)s column names.",
            n=len(cells),
            m=len(header),
        )
        return None, [RowError("", number, None, str(message))]
    errors: list[RowError] = []
    id_index, id_name = columns["id"]
    raw_id = cells[id_index].strip()
    plot_id = None
    if not raw_id or raw_id.casefold() in ("unknown", "nan", "none", "null"):
        errors.append(RowError("", number, id_name, str(_l("No plot id."))))
    elif _WHOLE_NUMBER.match(raw_id) and 0 < int(raw_id.split(".")[0]) <= MAX_PLOT_ID:
        plot_id = int(raw_id.split(".")[0])
    else:
        message = _l('"%(value)s" is not a CoopChain plot id.', value=_shown(raw_id))
        errors.append(RowError("", number, id_name, str(message)))
    risk_index, risk_name = columns["risk"]
    risk = cells[risk_index].strip().casefold()
    result = RESULT_OF_RISK.get(risk)
    if result is None:
        message = _l(
            '"%(value)s" is not a Whisp risk; expected low, more_info_needed or high.',
            value=_shown(cells[risk_index].strip()),
        )
        errors.append(RowError("", number, risk_name, str(message)))
    if errors:
        return None, errors
    loss = _loss_ha(cells, columns, delimiter) if result == ForestResult.LOSS_AFTER_CUTOFF else None
    measurements = {name: _value(cells[index], delimiter) for index, name in columns["kept"]}
    return WhispRow(number, plot_id, risk, result, loss, measurements), []


def _loss_ha(cells, columns, delimiter) -> Decimal | None:
    """Hansen loss after 2020 in hectares, when the file gives a positive figure."""
    if "loss" not in columns:
        return None
    loss = _decimal(cells[columns["loss"][0]], delimiter)
    if loss is None or loss <= 0:
        return None
    unit = cells[columns["unit"][0]].strip().casefold() if "unit" in columns else "ha"
    if unit == "percent":
        area = _decimal(cells[columns["area"][0]], delimiter) if "area" in columns else None
        if area is None or area <= 0:
            return None
        loss = loss * area / 100
    elif unit != "ha":
        return None
    if loss > 100000:
        return None
    return loss.quantize(Decimal("0.0001"))


def _decimal(raw: str, delimiter: str) -> Decimal | None:
    raw = raw.strip()
    if delimiter != ",":
        raw = raw.replace(",", ".")  # a semicolon file from Excel writes 0,35
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _value(raw: str, delimiter: str):
    """A kept cell as a JSON number when it is one, else as text (cut, control characters
    dropped): stored as data, shown escaped, never evaluated."""
    raw = raw.strip()
    if _NUMBER.match(raw) and (delimiter != "," or "," not in raw):
        number = float(raw.replace(",", "."))
        if math.isfinite(number):
            return int(number) if _WHOLE_NUMBER.match(raw) else number
    return _CONTROL.sub(" ", raw)[:MAX_KEPT_TEXT]


def _shown(value: str) -> str:
    """A cell quoted in a message: one line, short."""
    value = _CONTROL.sub(" ", value)
    return value if len(value) <= 40 else value[:39] + "…"


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
    ours = set(session.scalars(select(Plot.id).where(Plot.organization_id == org_id)))
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
