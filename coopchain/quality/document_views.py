"""(being written)"""

from coopchain.quality.views import bp  # noqa: F401
