"""Green coffee grading (SCA defect equivalents) and pitahaya grading (Codex classes)."""

from decimal import Decimal

import pytest

from coopchain.quality import grades
from coopchain.quality.grades import GreenGrade
from coopchain.quality.rules import InvalidScore

D = Decimal
SIZE_CODES = [["A", "110", "150"], ["B", "150.1", "200"], ["C", "200.1", "260"]]


def green(**values):
    data = {"moisture_pct": "11", "water_activity": "0.55", "defect_counts": {}} | values
    return grades.grade_green(grades.clean_green(data))


def test_a_clean_sample_is_specialty():
    result = green()
    assert result.grade == GreenGrade.SPECIALTY and result.full_defects == 0 and not result.reasons


def test_defects_convert_to_full_defect_equivalents_dropping_fractions():
    # 7 broken (5 = 1) → 1; 3 partial black (3 = 1) → 1; 9 slight insect (10 = 1) → 0.
    result = green(defect_counts={"broken": 7, "partial_black": 3, "slight_insect_damage": 9})
    assert result.full_defects_by_type == {"broken": 1, "partial_black": 1}
    assert (result.category_1, result.category_2, result.full_defects) == (0, 2, 2)
    assert result.grade == GreenGrade.SPECIALTY


def test_one_category_1_defect_excludes_specialty():
    result = green(defect_counts={"full_black": 1})
    assert result.category_1 == 1
    assert result.grade == GreenGrade.PREMIUM
    assert result.reason_codes == ("category_1",) and len(result.reasons) == 1


def test_severe_insect_damage_counts_five_beans_per_full_defect():
    assert green(defect_counts={"severe_insect_damage": 10}).category_1 == 2


@pytest.mark.parametrize(
    ("broken", "grade"),
    [
        (25, GreenGrade.SPECIALTY),  # 5 full defects
        (30, GreenGrade.PREMIUM),  # 6
        (40, GreenGrade.PREMIUM),  # 8
        (45, GreenGrade.EXCHANGE),  # 9
        (115, GreenGrade.EXCHANGE),  # 23
        (120, GreenGrade.BELOW_STANDARD),  # 24
        (430, GreenGrade.BELOW_STANDARD),  # 86
        (435, GreenGrade.OFF_GRADE),  # 87
    ],
)
def test_grade_bands_by_full_defects(broken, grade):
    assert green(defect_counts={"broken": broken}).grade == grade


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"moisture_pct": "12.5"}, "moisture"),
        ({"moisture_pct": "9.9"}, "moisture"),
        ({"water_activity": "0.70"}, "water_activity"),
        ({"water_activity": None}, "water_activity"),
        ({"quakers": 1}, "quakers"),
        ({"sample_g": 300}, "sample_g"),
    ],
)
def test_specialty_needs_moisture_water_activity_no_quakers_and_350_g(values, reason):
    result = green(**values)
    assert result.grade == GreenGrade.PREMIUM
    assert result.reason_codes == (reason,) and len(result.reasons) == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"moisture_pct": "abc"}, "moisture_pct"),
        ({"moisture_pct": None}, "moisture_pct"),
        ({"water_activity": "1.5"}, "water_activity"),
        ({"defect_counts": {"broken": -1}}, "defect_counts.broken"),
        ({"defect_counts": {"broken": 2.5}}, "defect_counts.broken"),
        ({"defect_counts": {"stones": 1}}, "defect_counts.stones"),
        ({"screen_sizes": {"18": 60, "17": 30}}, "screen_sizes"),  # adds up to 90 %
        ({"screen_sizes": {"25": 100}}, "screen_sizes.25"),
        ({"sample_g": 0}, "sample_g"),
    ],
)
def test_bad_green_values_are_named(values, field):
    with pytest.raises(InvalidScore) as refused:
        green(**values)
    assert field in refused.value.fields


def test_screen_sizes_adding_up_to_100_are_kept():
    cleaned = grades.clean_green(
        {"moisture_pct": "11", "screen_sizes": {"18": "40", "17": "35.5", "16": "24.5"}}
    )
    assert cleaned["screen_sizes"] == {"18": D("40.0"), "17": D("35.5"), "16": D("24.5")}


def pitahaya(**values):
    data = {"codex_class": "class_i", "brix": "18.5", "mean_fruit_g": "230"} | values
    return grades.grade_pitahaya(grades.clean_pitahaya(data), SIZE_CODES)


def test_pitahaya_size_code_from_mean_weight():
    assert pitahaya().size_code == "C"
    assert pitahaya(mean_fruit_g="150").size_code == "A"
    assert pitahaya(mean_fruit_g="150.1").size_code == "B"
    assert pitahaya(mean_fruit_g="90").size_code is None


@pytest.mark.parametrize(
    ("codex_class", "defective", "within"),
    [
        ("extra", "5", True),
        ("extra", "5.01", False),
        ("class_i", "10", True),
        ("class_i", "10.5", False),
        ("class_ii", "9", True),
    ],
)
def test_pitahaya_class_tolerance(codex_class, defective, within):
    result = pitahaya(codex_class=codex_class, defective_pct=defective)
    assert result.within_tolerance is within


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"codex_class": "premium"}, "codex_class"),
        ({"brix": "-1"}, "brix"),
        ({"mean_fruit_g": ""}, "mean_fruit_g"),
        ({"defective_pct": "101"}, "defective_pct"),
        ({"defects": ["ugly"]}, "defects"),
    ],
)
def test_bad_pitahaya_values_are_named(values, field):
    with pytest.raises(InvalidScore) as refused:
        pitahaya(**values)
    assert field in refused.value.fields


def test_pitahaya_defects_that_are_not_a_list_are_refused():
    with pytest.raises(InvalidScore) as refused:
        pitahaya(defects=3)
    assert "defects" in refused.value.fields
