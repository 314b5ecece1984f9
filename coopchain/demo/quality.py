"""Demo quality data: cupping sessions and gradings for the demo season (coopchain/demo_lots.py).

COOPAM's lab cups the two half-year parchment lots before they are blended (so the blend and
the green lots made from it show a *derived* score), then cups the export lot itself (a
measured score, three cuppers), and has a CVA session still open on the local-market lot.
The export lot gets a specialty green grading; APAM's boxed pitahaya a Codex class I grading.
Scores are fixed, not random, so the demo always tells the same story.
"""

from sqlmodel import Session

from coopchain.demo.calendar import DemoCalendar
from coopchain.lots.models import Lot
from coopchain.quality import cupping_sessions as sessions
from coopchain.quality import gradings, rules

GUEST = "Jorge Ñahui (Q Grader)"


def _sca(base: str, **overrides) -> dict:
    sheet = {name: base for name in rules.SCA_ATTRIBUTES}
    return sheet | {name: 10 for name in rules.SCA_CUP_ATTRIBUTES} | overrides


def _panel(session: Session, org_id: int) -> list[int]:
    return [user.id for user in sessions.panel_candidates(session, org_id)]


def _score_all(session, org_id, cs, sheets_by_lot: list) -> None:
    """sheets_by_lot: [(lot, [scores of cupper 1, cupper 2, …])]."""
    cuppers = sessions.cuppers_of(session, cs)
    samples = {lot.id: sample for sample, lot in sessions.samples_of(session, cs)}
    for lot, sheets in sheets_by_lot:
        for cupper, scores in zip(cuppers, sheets, strict=False):
            sessions.save_sheet(
                session,
                org_id,
                cupper.user_id,
                cs,
                {
                    "sample_id": samples[lot.id].id,
                    "cupper_id": cupper.id,
                    "scores": scores,
                    "descriptors": ["panela", "citric", "chocolate"][: 1 + cupper.id % 3],
                },
            )


def cup_half_year_lots(
    session: Session, cal: DemoCalendar, org_id: int, early: Lot, late: Lot
) -> None:
    """Before the blend: the two half-year parchment lots, SCA 2004, closed."""
    cs = sessions.open_session(
        session,
        org_id,
        None,
        {
            "held_on": cal.harvest(9, 3),
            "protocol": rules.Protocol.SCA_2004,
            "cupper_user_ids": _panel(session, org_id),
            "guest_cuppers": [GUEST],
            "lot_codes": [early.code, late.code],
            "notes": "Pre-shipment selection",
        },
    )
    _score_all(
        session,
        org_id,
        cs,
        [
            (early, [_sca("8.00"), _sca("8.25", flavor="8.00"), _sca("7.75", body="8.00")]),
            (late, [_sca("8.25", taint_cups=1), _sca("8.50"), _sca("8.25", acidity="8.50")]),
        ],
    )
    sessions.close_session(session, org_id, None, cs)


def cup_export_lots(
    session: Session, cal: DemoCalendar, org_id: int, export_lot: Lot, local_lot: Lot
) -> None:
    cs = sessions.open_session(
        session,
        org_id,
        None,
        {
            "held_on": cal.harvest(9, 14),
            "protocol": rules.Protocol.SCA_2004,
            "cupper_user_ids": _panel(session, org_id),
            "guest_cuppers": [GUEST],
            "lot_codes": [export_lot.code],
            "notes": "Export lot, contract Hamburg",
        },
    )
    _score_all(
        session,
        org_id,
        cs,
        [
            (
                export_lot,
                [
                    _sca("8.00", aftertaste="7.75"),
                    _sca("8.00", flavor="8.25"),
                    _sca("8.25", body="8.00"),
                ],
            )
        ],
    )
    sessions.close_session(session, org_id, None, cs)
    gradings.record_green_grading(
        session,
        org_id,
        None,
        export_lot.code,
        {
            "graded_on": cal.harvest(9, 13),
            "defect_counts": {"broken": 9, "partial_black": 2, "immature": 4},
            "moisture_pct": "10.8",
            "water_activity": "0.58",
            "screen_sizes": {"18": "22", "17": "41", "16": "27", "15": "8", "below": "2"},
        },
    )
    gradings.record_green_grading(
        session,
        org_id,
        None,
        local_lot.code,
        {
            "graded_on": cal.harvest(9, 13),
            "defect_counts": {"full_black": 1, "broken": 20, "floater": 6},
            "moisture_pct": "11.6",
            "water_activity": "0.61",
        },
    )
    # A CVA session still open: one cupper has scored, the other has not yet.
    cva = sessions.open_session(
        session,
        org_id,
        None,
        {
            "held_on": cal.harvest(10, 2),
            "protocol": rules.Protocol.CVA_2024,
            "cupper_user_ids": _panel(session, org_id),
            "lot_codes": [local_lot.code],
        },
    )
    [(sample, _lot)] = sessions.samples_of(session, cva)
    first = sessions.cuppers_of(session, cva)[0]
    cva_sheet = {name: 7 for name in rules.CVA_ATTRIBUTES} | {"acidity": 8, "overall": 6}
    sessions.save_sheet(
        session,
        org_id,
        first.user_id,
        cva,
        {"sample_id": sample.id, "cupper_id": first.id, "scores": cva_sheet},
    )


def grade_pitahaya(session: Session, cal: DemoCalendar, org_id: int, lot: Lot) -> None:
    gradings.record_pitahaya_grading(
        session,
        org_id,
        None,
        lot.code,
        {
            "graded_on": cal.harvest(9, 30),
            "codex_class": "class_i",
            "brix": "19.5",
            "mean_fruit_g": "245",
            "defective_pct": "6",
            "defects": ["skin_blemish"],
        },
    )


__all__ = ["cup_export_lots", "cup_half_year_lots", "grade_pitahaya"]


def cup_before_hulling(session: Session, held_on, org_id: int, lot: Lot) -> None:
    """The Bremen parchment (demo/clean_shipment.py), cupped before hulling, SCA 2004, closed:
    the green lot made from it carries the derived score."""
    cs = sessions.open_session(
        session,
        org_id,
        None,
        {
            "held_on": held_on,
            "protocol": rules.Protocol.SCA_2004,
            "cupper_user_ids": _panel(session, org_id),
            "guest_cuppers": [GUEST],
            "lot_codes": [lot.code],
            "notes": "Contract Bremen",
        },
    )
    sheets = [_sca("8.25"), _sca("8.25", flavor="8.50"), _sca("8.00", acidity="8.25")]
    _score_all(session, org_id, cs, [(lot, sheets)])
    sessions.close_session(session, org_id, None, cs)
