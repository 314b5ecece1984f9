"""Cup and grade arithmetic: pure functions, no database (DOMAIN.md §4 and §5).

Scores are `Decimal`, never float, so a sheet adds up exactly as on the paper form. Every
function that takes user input validates it against the form's ranges and steps and raises
`InvalidScore` naming each offending field.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from coopchain.errors import DomainError
from coopchain.formatting import read_decimal


class Protocol(StrEnum):
    #: SCA cupping form, 2004 protocol (DOMAIN.md §4).
    SCA_2004 = "sca_2004"
    #: SCA Coffee Value Assessment 2024, affective form (DOMAIN.md §4).
    CVA_2024 = "cva_2024"


class Classification(StrEnum):
    BELOW_SPECIALTY = "below_specialty"
    VERY_GOOD = "very_good"
    EXCELLENT = "excellent"
    OUTSTANDING = "outstanding"


class InvalidScore(DomainError):
    code = "invalid_score"


CUPS = 5
#: SCA 2004: the seven attributes scored 6.00–10.00 in quarter points.
SCA_ATTRIBUTES = (
    "fragrance_aroma",
    "flavor",
    "aftertaste",
    "acidity",
    "body",
    "balance",
    "overall",
)
#: SCA 2004: 2 points for every cup of the five that passes (0–10, even numbers).
SCA_CUP_ATTRIBUTES = ("uniformity", "clean_cup", "sweetness")
SCA_DEFECT_FIELDS = ("taint_cups", "fault_cups")
#: SCA 2004 defect intensities: a taint costs 2 points per cup, a fault 4.
TAINT_INTENSITY = 2
FAULT_INTENSITY = 4
SCA_MIN, SCA_MAX, SCA_STEP = Decimal("6.00"), Decimal("10.00"), Decimal("0.25")

#: CVA 2024 affective form: eight scores on the 1–9 hedonic scale.
CVA_ATTRIBUTES = (
    "fragrance",
    "aroma",
    "flavor",
    "aftertaste",
    "acidity",
    "sweetness",
    "mouthfeel",
    "overall",
)
CVA_DEFECT_FIELDS = ("non_uniform_cups", "defective_cups")
#: CVA: S = 0.65625·Σ + 52.75 − 2u − 4d (DOMAIN.md §4); 0.65625 = 21/32, exact in Decimal.
CVA_FACTOR, CVA_OFFSET = Decimal("0.65625"), Decimal("52.75")

#: Specialty starts at 80; bands per DOMAIN.md §4.
CLASSIFICATION_FLOORS = (
    (Decimal("90"), Classification.OUTSTANDING),
    (Decimal("85"), Classification.EXCELLENT),
    (Decimal("80"), Classification.VERY_GOOD),
)

CENT = Decimal("0.01")


def fields_of(protocol: str) -> tuple[str, ...]:
    """Every score field of a protocol's sheet, in the order of the paper form."""
    if protocol == Protocol.SCA_2004:
        return SCA_ATTRIBUTES + SCA_CUP_ATTRIBUTES + SCA_DEFECT_FIELDS
    if protocol == Protocol.CVA_2024:
        return CVA_ATTRIBUTES + CVA_DEFECT_FIELDS
    raise InvalidScore(str(_l("Unknown protocol.")), {"protocol": [str(_l("Unknown protocol."))]})


@dataclass(frozen=True)
class SheetScore:
    #: SCA: sum of the ten attributes; CVA: 0.65625·Σ + 52.75.
    total: Decimal
    #: Points taken off for taints and faults (SCA) or non-uniform and defective cups (CVA).
    defects: Decimal
    final: Decimal


def parse_decimal(value) -> Decimal | None:
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float | Decimal):  # a JSON number (the API)
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    try:  # typed on a form: either decimal mark (formatting.read_decimal)
        return read_decimal(str(value))
    except ValueError:  # unreadable, or ambiguous: no score has thousands
        return None


def parse_whole(value, low: int, high: int) -> int | None:
    number = parse_decimal(value)
    if number is None or number != number.to_integral_value() or not low <= number <= high:
        return None
    return int(number)


def clean_sheet(protocol: str, values: dict) -> dict:
    """The sheet's scores as exact numbers, or `InvalidScore` naming every bad field.

    SCA 2004 attributes are Decimals on the quarter-point grid; cup attributes are even
    points 0–10; defect fields are cup counts 0–5 (a cup is a taint or a fault, not both).
    CVA 2024 attributes are whole numbers 1–9; defect fields are cup counts 0–5.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    names = fields_of(protocol)
    # A misspelt field ("taint_cup") must not silently count as zero cups.
    for unknown in sorted(set(values) - set(names)):
        errors[unknown] = [str(_l("Not a field of this protocol's form."))]
    for name in names:
        raw = values.get(name)
        if protocol == Protocol.SCA_2004 and name in SCA_ATTRIBUTES:
            number = parse_decimal(raw)
            if number is None or not SCA_MIN <= number <= SCA_MAX or number % SCA_STEP:
                errors[name] = [str(_l("A score from 6.00 to 10.00 in steps of 0.25."))]
            else:
                cleaned[name] = number.quantize(CENT)
        elif protocol == Protocol.SCA_2004 and name in SCA_CUP_ATTRIBUTES:
            points = parse_whole(raw, 0, 2 * CUPS)
            if points is None or points % 2:
                errors[name] = [str(_l("2 points per cup: an even number from 0 to 10."))]
            else:
                cleaned[name] = points
        elif protocol == Protocol.CVA_2024 and name in CVA_ATTRIBUTES:
            score = parse_whole(raw, 1, 9)
            if score is None:
                errors[name] = [str(_l("A whole number from 1 to 9."))]
            else:
                cleaned[name] = score
        else:
            cups = parse_whole(0 if raw is None or raw == "" else raw, 0, CUPS)
            if cups is None:
                errors[name] = [str(_l("A number of cups from 0 to 5."))]
            else:
                cleaned[name] = cups
    if protocol == Protocol.SCA_2004 and not errors.keys() & set(SCA_DEFECT_FIELDS):
        if cleaned["taint_cups"] + cleaned["fault_cups"] > CUPS:
            errors["fault_cups"] = [str(_l("Taints and faults together cover at most 5 cups."))]
    if errors:
        raise InvalidScore(str(_l("Some scores are not on the form's scale.")), errors)
    return cleaned


def score_sheet(protocol: str, values: dict) -> SheetScore:
    """Total, defects and final score of one cupper's sheet for one sample (DOMAIN.md §4)."""
    cleaned = clean_sheet(protocol, values)
    if protocol == Protocol.SCA_2004:
        total = sum(
            (Decimal(cleaned[name]) for name in SCA_ATTRIBUTES + SCA_CUP_ATTRIBUTES), Decimal("0")
        )
        defects = Decimal(
            cleaned["taint_cups"] * TAINT_INTENSITY + cleaned["fault_cups"] * FAULT_INTENSITY
        )
    else:
        total = CVA_FACTOR * sum(cleaned[name] for name in CVA_ATTRIBUTES) + CVA_OFFSET
        defects = Decimal(2 * cleaned["non_uniform_cups"] + 4 * cleaned["defective_cups"])
    return SheetScore(total=total, defects=defects, final=total - defects)


def classify(score: Decimal) -> Classification:
    """SCA band of a (mean) final score; the score is compared as shown, to the cent."""
    shown = Decimal(score).quantize(CENT, rounding=ROUND_HALF_UP)
    for floor, band in CLASSIFICATION_FLOORS:
        if shown >= floor:
            return band
    return Classification.BELOW_SPECIALTY


@dataclass(frozen=True)
class PanelResult:
    """One sample's result over the cuppers who scored it."""

    #: Mean final score, to the cent (half up): the lot's cupping score (DOMAIN.md §4).
    mean: Decimal
    #: Highest minus lowest final score.
    spread: Decimal
    classification: Classification
    #: Each cupper's final score minus the panel mean (calibration), to the cent.
    deviations: dict

    @property
    def cupper_count(self) -> int:
        return len(self.deviations)


def panel_result(finals: dict) -> PanelResult:
    """`finals` maps a cupper (any key) to their final score for one sample."""
    if not finals:
        raise ValueError("a panel result needs at least one sheet")
    exact_mean = sum(finals.values(), Decimal("0")) / len(finals)
    mean = exact_mean.quantize(CENT, rounding=ROUND_HALF_UP)
    return PanelResult(
        mean=mean,
        spread=(max(finals.values()) - min(finals.values())).quantize(CENT),
        classification=classify(mean),
        deviations={
            cupper: (final - exact_mean).quantize(CENT, rounding=ROUND_HALF_UP)
            for cupper, final in finals.items()
        },
    )
