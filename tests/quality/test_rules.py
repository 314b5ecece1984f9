"""Cupping arithmetic against hand-worked sheets (DOMAIN.md §4)."""

from decimal import Decimal

import pytest

from coopchain.quality import rules
from coopchain.quality.rules import Classification, InvalidScore

D = Decimal


def sca_sheet(**overrides) -> dict:
    """A perfect SCA 2004 sheet (every attribute 10, every cup passing), then overrides."""
    sheet = {name: "10.00" for name in rules.SCA_ATTRIBUTES}
    sheet |= {name: 10 for name in rules.SCA_CUP_ATTRIBUTES}
    sheet |= {"taint_cups": 0, "fault_cups": 0}
    return sheet | overrides


def cva_sheet(value: int, **overrides) -> dict:
    return {name: value for name in rules.CVA_ATTRIBUTES} | overrides


def test_a_perfect_sca_sheet_scores_100():
    score = rules.score_sheet(rules.Protocol.SCA_2004, sca_sheet())
    assert (score.total, score.defects, score.final) == (D("100"), D("0"), D("100"))


def test_one_taint_and_one_fault_take_6_points():
    # Worked by hand: 8.25 + 8.50 + 8.00 + 8.25 + 8.00 + 8.00 + 8.25 = 57.25; cups 10 + 10 + 10;
    # total 87.25; defects 1 taint × 2 + 1 fault × 4 = 6; final 81.25.
    sheet = sca_sheet(
        fragrance_aroma="8.25",
        flavor="8.50",
        aftertaste="8.00",
        acidity="8.25",
        body="8.00",
        balance="8.00",
        overall="8.25",
        taint_cups=1,
        fault_cups=1,
    )
    score = rules.score_sheet(rules.Protocol.SCA_2004, sheet)
    assert score.total == D("87.25")
    assert score.defects == D("6")
    assert score.final == D("81.25")


def test_a_non_uniform_cup_and_a_sweetness_failure_cost_two_points_each():
    # Four of five cups uniform (8 points) and four sweet (8): 100 − 2 − 2 = 96.
    sheet = sca_sheet(uniformity=8, sweetness=8)
    assert rules.score_sheet(rules.Protocol.SCA_2004, sheet).final == D("96")


def test_cva_all_nines_is_100_and_all_ones_is_58():
    assert rules.score_sheet(rules.Protocol.CVA_2024, cva_sheet(9)).final == D("100")
    assert rules.score_sheet(rules.Protocol.CVA_2024, cva_sheet(1)).final == D("58")


def test_cva_non_uniform_and_defective_cups():
    # Σ = 7 × 8 + 6 = 62 → 0.65625 × 62 + 52.75 = 93.4375; − 2 × 1 − 4 × 1 = 87.4375 exactly.
    sheet = cva_sheet(8, overall=6, non_uniform_cups=1, defective_cups=1)
    score = rules.score_sheet(rules.Protocol.CVA_2024, sheet)
    assert score.total == D("93.4375")
    assert score.defects == D("6")
    assert score.final == D("87.4375")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("flavor", "8.30"),  # off the quarter-point grid
        ("flavor", "5.75"),  # below the form's 6.00
        ("flavor", "10.25"),  # above 10.00
        ("flavor", "ocho"),
        ("flavor", None),
        ("flavor", True),
        ("uniformity", 7),  # cups are worth 2 points: odd is impossible
        ("uniformity", 12),  # 5 cups × 2 at most
        ("taint_cups", 6),
        ("fault_cups", -1),
    ],
)
def test_sca_values_off_the_form_are_refused_naming_the_field(field, value):
    with pytest.raises(InvalidScore) as refused:
        rules.score_sheet(rules.Protocol.SCA_2004, sca_sheet(**{field: value}))
    assert list(refused.value.fields) == [field]


def test_a_cup_cannot_be_both_taint_and_fault():
    with pytest.raises(InvalidScore) as refused:
        rules.score_sheet(rules.Protocol.SCA_2004, sca_sheet(taint_cups=3, fault_cups=3))
    assert "fault_cups" in refused.value.fields


@pytest.mark.parametrize("value", [0, 10, "7.5", None])
def test_cva_scores_are_whole_numbers_from_1_to_9(value):
    with pytest.raises(InvalidScore) as refused:
        rules.score_sheet(rules.Protocol.CVA_2024, cva_sheet(7, aroma=value))
    assert list(refused.value.fields) == ["aroma"]


def test_every_bad_field_is_named_at_once():
    with pytest.raises(InvalidScore) as refused:
        rules.score_sheet(rules.Protocol.SCA_2004, sca_sheet(flavor="11", body="6.1", sweetness=3))
    assert set(refused.value.fields) == {"flavor", "body", "sweetness"}


def test_decimal_comma_is_accepted():
    sheet = sca_sheet(flavor="8,75")
    assert rules.score_sheet(rules.Protocol.SCA_2004, sheet).final == D("98.75")


def test_unknown_protocol_is_refused():
    with pytest.raises(InvalidScore):
        rules.score_sheet("sca_1999", {})


@pytest.mark.parametrize(
    ("score", "band"),
    [
        ("79.99", Classification.BELOW_SPECIALTY),
        ("80", Classification.VERY_GOOD),
        ("84.99", Classification.VERY_GOOD),
        ("85.00", Classification.EXCELLENT),
        ("89.99", Classification.EXCELLENT),
        ("90", Classification.OUTSTANDING),
        ("100", Classification.OUTSTANDING),
        # Compared as shown: 84.995 is shown as 85.00, so it is excellent, not very good.
        ("84.995", Classification.EXCELLENT),
    ],
)
def test_classification_bands(score, band):
    assert rules.classify(D(score)) == band


def test_panel_mean_spread_and_calibration():
    result = rules.panel_result({"ana": D("84.00"), "luis": D("85.50"), "carmen": D("86.25")})
    # (84 + 85.5 + 86.25) / 3 = 85.25
    assert result.mean == D("85.25")
    assert result.spread == D("2.25")
    assert result.classification == Classification.EXCELLENT
    assert result.deviations == {"ana": D("-1.25"), "luis": D("0.25"), "carmen": D("1.00")}
    assert result.cupper_count == 3


def test_panel_mean_rounds_half_up_to_the_cent():
    # (80 + 80 + 80.25) / 3 = 80.0833… → 80.08; (80.25 + 80.5) / 2 = 80.375 → 80.38
    assert rules.panel_result({1: D("80"), 2: D("80"), 3: D("80.25")}).mean == D("80.08")
    assert rules.panel_result({1: D("80.25"), 2: D("80.5")}).mean == D("80.38")


def test_a_misspelt_field_is_refused_not_counted_as_zero():
    with pytest.raises(InvalidScore) as refused:
        rules.score_sheet(rules.Protocol.SCA_2004, sca_sheet(taint_cup=2))
    assert list(refused.value.fields) == ["taint_cup"]
