"""Quality services, like lot services, read settings, so their tests run in an app context;
the lots tests' fixtures are shared rather than copied."""

import pytest

from tests import factories
from tests.lots.conftest import farm, in_app_context  # noqa: F401 (fixtures)


@pytest.fixture
def green_lot(db_session, org, farm):  # noqa: F811 (the imported fixture)
    """A green coffee lot of 500 kg, made by a delivery (so it can be sampled and graded)."""
    producer, plot = farm
    _delivery, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    return lot
