"""Cupping sessions through the services, on both databases: samples, sheets, closing,
reopening, and a lot's score measured or derived."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.models import LedgerEvent
from coopchain.lots import transformations
from coopchain.lots.errors import InsufficientQuantity
from coopchain.lots.models import Transformation
from coopchain.quality import cupping_sessions as sessions
from coopchain.quality import rules
from coopchain.quality.lot_quality import cupping_of
from coopchain.quality.rules import InvalidScore
from tests import factories

D = Decimal
ON = date(2026, 7, 1)


def sca(**overrides) -> dict:
    base = {name: "8.00" for name in rules.SCA_ATTRIBUTES}
    return base | {name: 10 for name in rules.SCA_CUP_ATTRIBUTES} | overrides  # final 86.00


def open_with(db_session, org, lots=(), guests=("Ana Quispe", "Luis Tapia"), protocol="sca_2004"):
    data = {
        "held_on": ON,
        "protocol": protocol,
        "guest_cuppers": list(guests),
        "lot_codes": [lot.code for lot in lots],
    }
    return sessions.open_session(db_session, org.id, None, data)


def score(db_session, org, cs, lot, cupper_index, scores):
    sample = next(s for s, sampled in sessions.samples_of(db_session, cs) if sampled.id == lot.id)
    cupper = sessions.cuppers_of(db_session, cs)[cupper_index]
    return sessions.save_sheet(
        db_session,
        org.id,
        None,
        cs,
        {"sample_id": sample.id, "cupper_id": cupper.id, "scores": scores},
    )


def made_by(db_session, transformation):
    """The (first) output lot of a transformation."""
    return transformations.parts_of(db_session, transformation)[1][0]


def cupped(db_session, org, lot, finals_overrides=({}, {})):
    """A closed session in which each cupper scored `lot`."""
    cs = open_with(db_session, org, [lot])
    for index, overrides in enumerate(finals_overrides):
        score(db_session, org, cs, lot, index, sca(**overrides))
    return sessions.close_session(db_session, org.id, None, cs)


def test_opening_numbers_the_session_and_records_the_panel(db_session, org):
    first = open_with(db_session, org)
    second = open_with(db_session, org)
    assert first.number == "CUP-2026-0001" and second.number == "CUP-2026-0002"
    assert [c.name for c in sessions.cuppers_of(db_session, first)] == ["Ana Quispe", "Luis Tapia"]


def test_members_sharing_a_name_are_told_apart(db_session, org):
    first = factories.user(db_session, org, role="quality")
    second = factories.user(db_session, org, role="admin")
    first.name = second.name = "Carmen Ríos"
    cs = sessions.open_session(
        db_session,
        org.id,
        None,
        {"held_on": ON, "protocol": "sca_2004", "cupper_user_ids": [first.id, second.id]},
    )
    names = [c.name for c in sessions.cuppers_of(db_session, cs)]
    assert names == [f"Carmen Ríos ({first.email})", f"Carmen Ríos ({second.email})"]


def test_a_member_cupper_is_linked_to_their_user(db_session, org):
    lab = factories.user(db_session, org, role="quality")
    staff = factories.user(db_session, org, role="staff")
    cs = sessions.open_session(
        db_session,
        org.id,
        lab.id,
        {"held_on": ON, "protocol": "cva_2024", "cupper_user_ids": [lab.id]},
    )
    assert [(c.name, c.user_id) for c in sessions.cuppers_of(db_session, cs)] == [
        (lab.name, lab.id)
    ]
    with pytest.raises(DomainError) as refused:
        sessions.open_session(
            db_session,
            org.id,
            lab.id,
            {"held_on": ON, "protocol": "cva_2024", "cupper_user_ids": [staff.id]},
        )
    assert "cupper_user_ids" in refused.value.fields


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"protocol": "sca_1999"}, "protocol"),
        ({"held_on": None}, "held_on"),
        ({"guest_cuppers": []}, "cupper_user_ids"),
        ({"guest_cuppers": ["Ana", "ana"]}, "guest_cuppers"),
    ],
)
def test_opening_refuses_bad_input(db_session, org, data, field):
    base = {"held_on": ON, "protocol": "sca_2004", "guest_cuppers": ["Ana"]}
    with pytest.raises(DomainError) as refused:
        sessions.open_session(db_session, org.id, None, base | data)
    assert field in refused.value.fields


def test_a_sample_takes_the_configured_weight_under_a_blind_code(db_session, org, green_lot):
    cs = open_with(db_session, org, [green_lot])
    [(sample, lot)] = sessions.samples_of(db_session, cs)
    assert lot.id == green_lot.id
    assert green_lot.available_kg == D("499.700")  # 500 kg − 0.3 kg (SAMPLE_KG)
    taken = db_session.get(Transformation, sample.transformation_id)
    assert taken.kind == "sample" and taken.loss_kg == D("0.300")
    assert len(sample.blind_code) == 3 and sample.blind_code.isdigit()
    assert green_lot.code not in sample.blind_code


def test_the_same_lot_is_sampled_once_per_session(db_session, org, green_lot):
    cs = open_with(db_session, org, [green_lot])
    with pytest.raises(DomainError) as refused:
        sessions.add_sample(db_session, org.id, None, cs, green_lot.code)
    assert "lot_code" in refused.value.fields


def test_only_cuppable_lots_with_enough_left_are_sampled(db_session, org, farm):
    producer, plot = farm
    _d, cherry = factories.delivery(db_session, org, producer, plot, product_form="cherry")
    _d, tiny = factories.delivery(
        db_session, org, producer, plot, product_form="green", gross_kg=D("20.2"), tare_kg=D("20")
    )
    cs = open_with(db_session, org)
    with pytest.raises(DomainError) as refused:
        sessions.add_sample(db_session, org.id, None, cs, cherry.code)
    assert "lot_code" in refused.value.fields
    with pytest.raises(InsufficientQuantity):
        sessions.add_sample(db_session, org.id, None, cs, tiny.code)  # 0.2 kg < 0.3 kg
    with pytest.raises(NotFound):
        sessions.add_sample(db_session, org.id, None, cs, "CAF-2026-999999")


def test_sheets_are_scored_by_the_server_and_saved_again_while_open(db_session, org, green_lot):
    cs = open_with(db_session, org, [green_lot])
    sheet = score(db_session, org, cs, green_lot, 0, sca(flavor="8.75", taint_cups=1))
    assert (sheet.total, sheet.defects, sheet.final_score) == (D("86.75"), D("2"), D("84.75"))
    again = score(db_session, org, cs, green_lot, 0, sca())
    assert again.id == sheet.id and again.final_score == D("86")
    assert len(sessions.sheets_of(db_session, cs)) == 1
    kinds = db_session.scalars(
        select(LedgerEvent.kind).where(LedgerEvent.organization_id == org.id)
    ).all()
    assert kinds.count("cupping.sheet_saved") == 2  # every save is in the audit trail


def test_an_off_scale_sheet_is_refused_and_nothing_is_saved(db_session, org, green_lot):
    cs = open_with(db_session, org, [green_lot])
    with pytest.raises(InvalidScore) as refused:
        score(db_session, org, cs, green_lot, 0, sca(acidity="8.30"))
    assert list(refused.value.fields) == ["acidity"]
    assert sessions.sheets_of(db_session, cs) == []


def test_a_sheet_must_name_this_sessions_sample_and_cupper(db_session, org, green_lot):
    cs = open_with(db_session, org, [green_lot])
    other = open_with(db_session, org)
    [(sample, _lot)] = sessions.samples_of(db_session, cs)
    foreign_cupper = sessions.cuppers_of(db_session, other)[0]
    with pytest.raises(DomainError) as refused:
        sessions.save_sheet(
            db_session,
            org.id,
            None,
            cs,
            {"sample_id": sample.id, "cupper_id": foreign_cupper.id, "scores": sca()},
        )
    assert "cupper_id" in refused.value.fields


def test_closing_gives_mean_spread_band_and_calibration(db_session, org, green_lot):
    cs = open_with(db_session, org, [green_lot])
    score(db_session, org, cs, green_lot, 0, sca())  # 86.00
    score(db_session, org, cs, green_lot, 1, sca(flavor="7.50", taint_cups=1))  # 83.50
    sessions.close_session(db_session, org.id, None, cs)
    [result] = sessions.session_results(db_session, cs)
    assert result.panel.mean == D("84.75")
    assert result.panel.spread == D("2.50")
    assert result.panel.classification == rules.Classification.VERY_GOOD
    cuppers = sessions.cuppers_of(db_session, cs)
    assert result.panel.deviations == {cuppers[0].id: D("1.25"), cuppers[1].id: D("-1.25")}


def test_a_closed_session_is_immutable_until_reopened_with_a_reason(db_session, org, green_lot):
    cs = cupped(db_session, org, green_lot)
    with pytest.raises(Conflict):
        score(db_session, org, cs, green_lot, 0, sca(flavor="9.00"))
    with pytest.raises(Conflict):
        sessions.add_sample(db_session, org.id, None, cs, green_lot.code)
    with pytest.raises(DomainError) as refused:
        sessions.reopen_session(db_session, org.id, None, cs, "  ")
    assert "reason" in refused.value.fields

    sessions.reopen_session(db_session, org.id, None, cs, "Cupper 2 scored the wrong bowl")
    assert cs.is_open and cs.reopen_reason == "Cupper 2 scored the wrong bowl"
    event = db_session.scalars(
        select(LedgerEvent).where(
            LedgerEvent.organization_id == org.id, LedgerEvent.kind == "cupping.session_reopened"
        )
    ).one()
    assert event.payload["data"]["reason"] == "Cupper 2 scored the wrong bowl"
    score(db_session, org, cs, green_lot, 1, sca(flavor="9.00"))  # the correction
    sessions.close_session(db_session, org.id, None, cs)
    assert cupping_of(db_session, green_lot).score == D("86.50")  # (86 + 87) / 2


def test_closing_needs_a_sheet_for_every_sample(db_session, org, green_lot, farm):
    producer, plot = farm
    _d, second = factories.delivery(db_session, org, producer, plot, product_form="green")
    cs = open_with(db_session, org, [green_lot, second])
    score(db_session, org, cs, green_lot, 0, sca())
    with pytest.raises(Conflict) as refused:
        sessions.close_session(db_session, org.id, None, cs)
    blind = next(s.blind_code for s, lot in sessions.samples_of(db_session, cs) if lot == second)
    assert blind in refused.value.message
    assert cs.is_open


def test_another_organisations_session_is_not_found(db_session, org, other_org):
    cs = open_with(db_session, org)
    with pytest.raises(NotFound):
        sessions.get_session(db_session, other_org.id, cs.number)


# --- a lot's score: measured, derived, latest -------------------------------------------------


def test_an_uncupped_lot_has_no_score(db_session, org, green_lot):
    assert cupping_of(db_session, green_lot) is None


def test_a_lots_score_is_its_latest_sessions_panel_mean(db_session, org, green_lot):
    cupped(db_session, org, green_lot)  # 86.00
    later = open_with(db_session, org, [green_lot])
    later.held_on = date(2026, 8, 1)
    score(db_session, org, later, green_lot, 0, sca(body="9.00"))  # 87.00
    sessions.close_session(db_session, org.id, None, later)
    found = cupping_of(db_session, green_lot)
    assert found.score == D("87.00") and found.session_number == later.number
    assert not found.derived and found.cupper_count == 1


def test_an_open_session_does_not_count(db_session, org, green_lot):
    cs = open_with(db_session, org, [green_lot])
    score(db_session, org, cs, green_lot, 0, sca())
    assert cupping_of(db_session, green_lot) is None


def test_a_merge_of_cupped_lots_gets_a_derived_kg_weighted_score(db_session, org, farm):
    producer, plot = farm
    _d, a = factories.delivery(db_session, org, producer, plot, product_form="green")
    _d, b = factories.delivery(db_session, org, producer, plot, product_form="green")
    cupped(db_session, org, a, ({}, {}))  # 86.00
    cupped(db_session, org, b, ({"flavor": "9.00"}, {"flavor": "9.00"}))  # 87.00
    # 300 kg of A and 100 kg of B: (300 × 86 + 100 × 87) / 400 = 86.25
    merged = made_by(
        db_session,
        transformations.merge(
            db_session, org.id, None, [(a.code, D("300")), (b.code, D("100"))], ON
        ),
    )
    found = cupping_of(db_session, merged)
    assert found.derived and found.score == D("86.25")
    assert found.coverage == 1 and set(found.measured_lots) == {a.code, b.code}
    assert found.classification == rules.Classification.EXCELLENT

    # A split of the blend carries the same derived score; cupping the blend replaces it.
    split = transformations.split(db_session, org.id, None, merged.code, [D("100"), D("50")], ON)
    part = made_by(db_session, split)
    assert cupping_of(db_session, part).score == D("86.25")
    cupped(db_session, org, merged, ({"body": "7.00"},))  # 85.00, measured
    assert cupping_of(db_session, merged).derived is False
    assert cupping_of(db_session, merged).score == D("85.00")


def test_a_derived_score_says_how_much_of_the_lot_was_cupped(db_session, org, farm):
    producer, plot = farm
    _d, a = factories.delivery(db_session, org, producer, plot, product_form="green")
    _d, b = factories.delivery(db_session, org, producer, plot, product_form="green")
    cupped(db_session, org, a)  # 86.00; b never cupped
    merged = made_by(
        db_session,
        transformations.merge(
            db_session, org.id, None, [(a.code, D("100")), (b.code, D("300"))], ON
        ),
    )
    found = cupping_of(db_session, merged)
    assert found.derived and found.score == D("86.00")
    assert found.coverage == D("0.25")
