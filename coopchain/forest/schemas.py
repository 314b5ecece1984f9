"""Input schemas for the forest pages: the form that starts a raster assessment (DESIGN.md §3).

Shapes only: which datasets go together and the canopy threshold's range are checked once, by
forest.assessment.start_assessment, so the page and the command line name the same fields with
the same messages.
"""

from flask_babel import lazy_gettext as _l
from marshmallow import fields

from coopchain.schemas import LoadSchema


class AssessmentStartIn(LoadSchema):
    dataset_ids = fields.List(fields.Int(), load_default=list)
    #: Left blank: start_assessment's default. Text that is no whole number gets the words
    #: start_assessment uses for a number off the range.
    canopy_threshold_pct = fields.Int(
        load_default=None,
        error_messages={"invalid": _l("Canopy threshold: a whole percentage from 1 to 100.")},
    )
