"""One Whisp CSV row checked: the header's columns found, then each row's plot id, risk and the
measurements kept, with every problem named by row and column (the format: forest/whisp.py)."""

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from coopchain.farms.models import ForestResult
from coopchain.spreadsheets import RowError

#: The perennial-crop risk, by its current name first, then the 2024 one.
RISK_COLUMNS = ("risk_pcrop", "EUDR_risk")
RESULT_OF_RISK = {
    "low": ForestResult.DEFORESTATION_FREE,
    "more_info_needed": ForestResult.MORE_INFO_NEEDED,
    "high": ForestResult.LOSS_AFTER_CUTOFF,
}
#: Hansen loss after 2020, in the file's Unit (hectares or % of Area).
LOSS_COLUMN = "GFC_loss_after_2020"
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
#: Ids fit the database's 32-bit integer column; anything longer is not one of ours.
MAX_PLOT_ID = 2**31 - 1
_WHOLE_NUMBER = re.compile(r"^\d+(\.0*)?$")
_NUMBER = re.compile(r"^-?\d+([.,]\d+)?([eE][-+]?\d+)?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class WhispRow:
    """One checked row: which plot, what Whisp said, what we keep of it."""

    row: int
    plot_id: int
    risk: str
    result: ForestResult
    loss_ha: Decimal | None
    measurements: dict


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
