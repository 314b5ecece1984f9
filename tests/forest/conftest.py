"""Forest tests read service messages in English, like the farm tests (tests/farms/conftest.py)."""

from tests.farms.conftest import english  # noqa: F401 (autouse fixture)
