"""A lot from a plot far over its plausible yield is not claimed organic on its public pages
until an inspector's explanation is recorded: the pages follow the compliance engine."""

from datetime import date

from coopchain.ics.explanations import record_explanation
from coopchain.lots.bags import create_bags
from tests.trace import public_fixtures
from tests.trace.public_fixtures import (
    forest_checked,
    get_page,
    green_lot_of,
    grower,
    visible_text,
)
from tests.trace.test_public_claims import claim_of

app = public_fixtures.app


def test_the_public_page_withdraws_organic_until_the_yield_is_explained(client, db_session, org):
    producer, plot = grower(
        db_session, org, certifier="Control Union Perú", valid_until=date(2030, 12, 31)
    )
    forest_checked(db_session, org, plot)
    # About 1.2 ha at the default coffee yield: 5,000 kg green is several times what it can grow.
    lot = green_lot_of(db_session, org, producer, plot, net_kg="5000")
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)

    organic = claim_of(get_page(client, f"/b/{bag.public_token}").text, "organic")
    assert "certified organic ✓" not in organic and "✓" not in organic

    record_explanation(
        db_session,
        org.id,
        None,
        plot.id,
        {"season": "2026", "inspector": "Rosa Tello", "explanation": "Second field found"},
    )
    html = get_page(client, f"/b/{bag.public_token}").text
    assert "certified organic ✓" in claim_of(html, "organic")
    assert "Control Union" in visible_text(html)
