"""Recording and voiding gradings through the services (both databases)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from coopchain.clock import today
from coopchain.errors import Conflict, DomainError
from coopchain.quality import gradings
from coopchain.quality.models import GreenGrading
from coopchain.quality.rules import InvalidScore


def test_every_bad_field_is_named_together_and_nothing_is_written(db_session, org, green_lot):
    with pytest.raises(InvalidScore) as refused:
        gradings.record_green_grading(
            db_session,
            org.id,
            None,
            green_lot.code,
            {"graded_on": today() + timedelta(days=1), "moisture_pct": "abc", "notes": "x" * 501},
        )
    assert {"graded_on", "moisture_pct", "notes"} <= set(refused.value.fields)
    assert db_session.scalar(select(func.count()).select_from(GreenGrading)) == 0


def test_a_voided_grading_is_no_longer_the_latest(db_session, org, green_lot):
    first = gradings.record_green_grading(
        db_session,
        org.id,
        None,
        green_lot.code,
        {"graded_on": date(2026, 7, 1), "moisture_pct": "11", "water_activity": "0.6"},
    )
    second = gradings.record_green_grading(
        db_session,
        org.id,
        None,
        green_lot.code,
        {"graded_on": date(2026, 7, 2), "moisture_pct": "13", "water_activity": "0.6"},
    )
    assert gradings.latest_grading(db_session, green_lot, "green").id == second.id
    assert second.grade == "premium"  # moisture above 12 %
    gradings.void_grading(db_session, org.id, None, "green", second.id, "Meter not calibrated")
    assert gradings.latest_grading(db_session, green_lot, "green").id == first.id
    with pytest.raises(Conflict):
        gradings.void_grading(db_session, org.id, None, "green", second.id, "again")


def test_a_pitahaya_grading_needs_a_pitahaya_lot(db_session, org, green_lot):
    with pytest.raises(DomainError):
        gradings.record_pitahaya_grading(
            db_session,
            org.id,
            None,
            green_lot.code,
            {"codex_class": "extra", "brix": "18", "mean_fruit_g": "250"},
        )
