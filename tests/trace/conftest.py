"""Label services read settings and render templates, so their tests run in an app context;
the lots tests' fixtures are shared rather than copied (like tests/quality/conftest.py)."""

from decimal import Decimal

import pytest

from tests import factories
from tests.lots.conftest import farm, in_app_context  # noqa: F401 (fixtures)


@pytest.fixture
def green_lot(db_session, org, farm):  # noqa: F811 (the imported fixture)
    """A green coffee lot of 1,000 kg (14 bags of 69 kg), made by a delivery (green lots are
    the ones bagged)."""
    producer, plot = farm
    _delivery, lot = factories.delivery(
        db_session, org, producer, plot, product_form="green", gross_kg=Decimal("1020")
    )
    return lot
