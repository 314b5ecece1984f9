"""Green coffee grading and pitahaya grading: pure functions, no database.

Green coffee: the SCA Arabica Green Coffee Defect Handbook / green coffee classification
(DOMAIN.md §4). A 350 g sample's defects are counted per type and converted to full-defect
equivalents; fractions are dropped (4 broken beans are not yet one full defect). Category-1
defects exclude the specialty grade outright.

Pitahaya: Codex CXS 237-2003 classes Extra, I and II (DOMAIN.md §5). Size codes come from a
setting because the thresholds are unverified.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from coopchain.quality.rules import InvalidScore, parse_decimal, parse_whole


class GreenGrade(StrEnum):
    SPECIALTY = "specialty"
    PREMIUM = "premium"
    EXCHANGE = "exchange"
    BELOW_STANDARD = "below_standard"
    OFF_GRADE = "off_grade"


#: Beans (or items) that make one full defect, per category (SCA defect handbook).
CATEGORY_1_DEFECTS = {
    "full_black": 1,
    "full_sour": 1,
    "dried_cherry": 1,
    "fungus_damaged": 1,
    "foreign_matter": 1,
    "severe_insect_damage": 5,
}
CATEGORY_2_DEFECTS = {
    "partial_black": 3,
    "partial_sour": 3,
    "parchment": 5,
    "floater": 5,
    "immature": 5,
    "withered": 5,
    "shell": 5,
    "broken": 5,
    "hull_husk": 5,
    "slight_insect_damage": 10,
}
GREEN_DEFECTS = {**CATEGORY_1_DEFECTS, **CATEGORY_2_DEFECTS}

SCA_SAMPLE_G = Decimal("350")
#: Specialty: at most 5 full defects and none of category 1; moisture 10–12 %; aw < 0.70.
SPECIALTY_MAX_FULL_DEFECTS = 5
SPECIALTY_MOISTURE = (Decimal("10"), Decimal("12"))
SPECIALTY_MAX_WATER_ACTIVITY = Decimal("0.70")
#: Upper bound of full defects for each lower grade (SCA classification; off grade above).
GRADE_CEILINGS = (
    (8, GreenGrade.PREMIUM),
    (23, GreenGrade.EXCHANGE),
    (86, GreenGrade.BELOW_STANDARD),
)
#: Round-hole screens a lab reports (in 64ths of an inch), plus what falls through.
SCREEN_SIZES = ("20", "19", "18", "17", "16", "15", "14", "13", "below")
SCREEN_TOTAL_TOLERANCE = Decimal("1")


@dataclass(frozen=True)
class GreenResult:
    #: Full-defect equivalents per defect type (only the types counted).
    full_defects_by_type: dict
    category_1: int
    category_2: int
    grade: GreenGrade
    #: Why the lot is not specialty grade, as sentences (empty when it is)…
    reasons: list = field(default_factory=list)
    #: …and as codes: category_1, full_defects, moisture, water_activity, quakers, sample_g.
    reason_codes: tuple = ()

    @property
    def full_defects(self) -> int:
        return self.category_1 + self.category_2


def clean_green(values: dict) -> dict:
    """A green grading's measurements, or `InvalidScore` naming every bad field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {"defect_counts": {}, "screen_sizes": {}}
    sample = parse_decimal(values.get("sample_g", SCA_SAMPLE_G))
    if sample is None or not Decimal("50") <= sample <= Decimal("2000"):
        errors["sample_g"] = [str(_l("Sample weight in grams, from 50 to 2000."))]
    else:
        cleaned["sample_g"] = sample.quantize(Decimal("0.1"))
    counts = values.get("defect_counts") or {}
    if not isinstance(counts, dict):
        errors["defect_counts"] = [str(_l("A count per defect type."))]
        counts = {}
    for name, raw in counts.items():
        if name not in GREEN_DEFECTS:
            errors[f"defect_counts.{name}"] = [str(_l("Unknown defect type."))]
            continue
        count = parse_whole(0 if raw in (None, "") else raw, 0, 100000)
        if count is None:
            errors[f"defect_counts.{name}"] = [str(_l("A whole number of beans, 0 or more."))]
        elif count:
            cleaned["defect_counts"][name] = count
    quakers = values.get("quakers")
    if quakers not in (None, ""):
        cleaned["quakers"] = parse_whole(quakers, 0, 100000)
        if cleaned["quakers"] is None:
            errors["quakers"] = [str(_l("A whole number of beans, 0 or more."))]
    moisture = parse_decimal(values.get("moisture_pct"))
    if moisture is None or not Decimal("0") <= moisture <= Decimal("40"):
        errors["moisture_pct"] = [str(_l("Moisture in %, from 0 to 40."))]
    else:
        cleaned["moisture_pct"] = moisture.quantize(Decimal("0.01"))
    activity = values.get("water_activity")
    if activity not in (None, ""):
        number = parse_decimal(activity)
        if number is None or not Decimal("0") <= number <= Decimal("1"):
            errors["water_activity"] = [str(_l("Water activity from 0 to 1."))]
        else:
            cleaned["water_activity"] = number.quantize(Decimal("0.001"))
    screens = values.get("screen_sizes") or {}
    if not isinstance(screens, dict):
        errors["screen_sizes"] = [str(_l("A percentage per screen size."))]
        screens = {}
    for name, raw in screens.items():
        number = parse_decimal(raw) if raw not in (None, "") else Decimal("0")
        if str(name) not in SCREEN_SIZES:
            errors[f"screen_sizes.{name}"] = [str(_l("Unknown screen size."))]
        elif number is None or not Decimal("0") <= number <= Decimal("100"):
            errors[f"screen_sizes.{name}"] = [str(_l("A percentage from 0 to 100."))]
        elif number:
            cleaned["screen_sizes"][str(name)] = number.quantize(Decimal("0.1"))
    total = sum(cleaned["screen_sizes"].values(), Decimal("0"))
    if cleaned["screen_sizes"] and abs(total - 100) > SCREEN_TOTAL_TOLERANCE:
        errors["screen_sizes"] = [
            str(_l("The screen percentages add up to %(total)s %%, not 100.", total=total))
        ]
    if errors:
        raise InvalidScore(str(_l("Some grading values are not valid.")), errors)
    return cleaned


def grade_green(cleaned: dict) -> GreenResult:
    """Full-defect equivalents, category totals and the grade of a cleaned green grading."""
    by_type = {
        name: count // GREEN_DEFECTS[name]
        for name, count in cleaned["defect_counts"].items()
        if count // GREEN_DEFECTS[name]
    }
    category_1 = sum(v for k, v in by_type.items() if k in CATEGORY_1_DEFECTS)
    category_2 = sum(v for k, v in by_type.items() if k in CATEGORY_2_DEFECTS)
    full = category_1 + category_2
    reasons: dict[str, str] = {}  # why not specialty: code → sentence for the reader
    if category_1:
        reasons["category_1"] = str(
            _l("Category-1 full defects: %(n)s (none allowed).", n=category_1)
        )
    if full > SPECIALTY_MAX_FULL_DEFECTS:
        reasons["full_defects"] = str(_l("Full defects: %(n)s (at most 5).", n=full))
    low, high = SPECIALTY_MOISTURE
    if not low <= cleaned["moisture_pct"] <= high:
        reasons["moisture"] = str(
            _l("Moisture %(pct)s %% outside 10–12 %%.", pct=cleaned["moisture_pct"])
        )
    activity = cleaned.get("water_activity")
    if activity is None:
        reasons["water_activity"] = str(_l("Water activity not measured."))
    elif activity >= SPECIALTY_MAX_WATER_ACTIVITY:
        reasons["water_activity"] = str(
            _l("Water activity %(aw)s (below 0.70 needed).", aw=activity)
        )
    if cleaned.get("quakers"):
        reasons["quakers"] = str(_l("Quakers: %(n)s (none allowed).", n=cleaned["quakers"]))
    if cleaned["sample_g"] != SCA_SAMPLE_G:
        reasons["sample_g"] = str(
            _l("Graded on %(g)s g; the SCA grades 350 g.", g=cleaned["sample_g"])
        )
    if not reasons:
        grade = GreenGrade.SPECIALTY
    else:
        grade = next(
            (band for ceiling, band in GRADE_CEILINGS if full <= ceiling), GreenGrade.OFF_GRADE
        )
    return GreenResult(
        by_type, category_1, category_2, grade, list(reasons.values()), tuple(reasons)
    )


class CodexClass(StrEnum):
    EXTRA = "extra"
    CLASS_I = "class_i"
    CLASS_II = "class_ii"


#: Codex quality tolerances: % of fruit (by number or weight) not meeting the class.
CODEX_TOLERANCE_PCT = {
    CodexClass.EXTRA: Decimal("5"),
    CodexClass.CLASS_I: Decimal("10"),
    CodexClass.CLASS_II: Decimal("10"),
}
PITAHAYA_DEFECTS = (
    "bruising",
    "skin_blemish",
    "thorns",
    "stem_length",
    "pest_damage",
    "shape",
    "rot",
)


@dataclass(frozen=True)
class PitahayaResult:
    size_code: str | None
    within_tolerance: bool
    tolerance_pct: Decimal


def clean_pitahaya(values: dict) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    try:
        cleaned["codex_class"] = CodexClass(values.get("codex_class"))
    except ValueError:
        errors["codex_class"] = [str(_l("Choose Extra, I or II."))]
    brix = parse_decimal(values.get("brix"))
    if brix is None or not Decimal("0") <= brix <= Decimal("40"):
        errors["brix"] = [str(_l("Degrees Brix, from 0 to 40."))]
    else:
        cleaned["brix"] = brix.quantize(Decimal("0.1"))
    weight = parse_decimal(values.get("mean_fruit_g"))
    if weight is None or not Decimal("10") <= weight <= Decimal("2000"):
        errors["mean_fruit_g"] = [str(_l("Mean fruit weight in grams, from 10 to 2000."))]
    else:
        cleaned["mean_fruit_g"] = weight.quantize(Decimal("0.1"))
    defective = parse_decimal(values.get("defective_pct") or 0)
    if defective is None or not Decimal("0") <= defective <= Decimal("100"):
        errors["defective_pct"] = [str(_l("A percentage from 0 to 100."))]
    else:
        cleaned["defective_pct"] = defective.quantize(Decimal("0.01"))
    defects = values.get("defects") or []
    if isinstance(defects, str):
        defects = [defects]
    if not isinstance(defects, list) or any(d not in PITAHAYA_DEFECTS for d in defects):
        errors["defects"] = [str(_l("Unknown defect type."))]
    else:
        cleaned["defects"] = sorted(set(defects))
    if errors:
        raise InvalidScore(str(_l("Some grading values are not valid.")), errors)
    return cleaned


def size_code(mean_fruit_g: Decimal, size_codes: list) -> str | None:
    """The size code whose [min, max] grams hold the mean fruit weight (setting)."""
    for code, low, high in size_codes:
        if Decimal(low) <= mean_fruit_g <= Decimal(high):
            return code
    return None


def grade_pitahaya(cleaned: dict, size_codes: list) -> PitahayaResult:
    tolerance = CODEX_TOLERANCE_PCT[cleaned["codex_class"]]
    return PitahayaResult(
        size_code=size_code(cleaned["mean_fruit_g"], size_codes),
        within_tolerance=cleaned["defective_pct"] <= tolerance,
        tolerance_pct=tolerance,
    )
