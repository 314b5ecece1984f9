"""(being written)"""

from coopchain.api import api_blueprint  # noqa: F401
