"""Input (load) and output (dump) schemas for cupping sessions, score sheets and gradings.

Loading whitelists the fields and checks their shape; the scales, steps and grading ranges are
checked once, by quality.rules and quality.grades (through the services), so the API, the HTML
forms and the tests share one set of rules. That is why score and measurement values load as
raw numbers or strings: the rules name the field when one is off its scale.
"""

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from coopchain.quality.grades import PITAHAYA_DEFECTS, SCREEN_SIZES, CodexClass, GreenGrade
from coopchain.quality.models import SessionStatus
from coopchain.quality.rules import Classification, Protocol
from coopchain.schemas import DecimalIn, DecimalOut, LoadSchema, PageSchema

_TEXT = validate.Length(max=500)
_CODE = validate.Length(1, 40)
#: A score or measurement as the paper form has it: a JSON number or a numeric string.
_NUMBER = {"oneOf": [{"type": "number"}, {"type": "string"}]}


class _Number(fields.Raw):
    """A number or numeric string, checked by the rules (which name the field)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError(str(_l("A number.")))
        return value


def _number(**kwargs) -> _Number:
    return _Number(metadata=_NUMBER, **kwargs)


class Descriptors(fields.List):
    """Flavour tags: a list, or one comma-separated string ("panela, citric")."""

    def __init__(self, **kwargs):
        super().__init__(fields.Str(validate=validate.Length(max=40)), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return value  # the service splits it (quality.sessions.clean_descriptors)
        return super()._deserialize(value, attr, data, **kwargs)


# --- input ------------------------------------------------------------------------------------


class SessionListArgs(PageSchema):
    status = fields.Str(
        load_default=None, validate=validate.OneOf([s.value for s in SessionStatus])
    )


class CuppingSessionIn(LoadSchema):
    held_on = fields.Date(required=True)
    protocol = fields.Str(required=True, validate=validate.OneOf([p.value for p in Protocol]))
    #: Members of the quality lab or administrators (user ids).
    cupper_user_ids = fields.List(fields.Int(), load_default=list)
    #: Visiting cuppers by name.
    guest_cuppers = fields.List(fields.Str(validate=validate.Length(1, 120)), load_default=list)
    notes = fields.Str(validate=_TEXT, load_default=None)
    #: Lots to sample straight away (each a `sample` transformation of the configured weight).
    lot_codes = fields.List(fields.Str(validate=_CODE), load_default=list)


class CuppingSampleIn(LoadSchema):
    lot_code = fields.Str(required=True, validate=_CODE)
    #: Omitted: the SAMPLE_KG setting.
    sample_kg = DecimalIn(
        places=3,
        load_default=None,
        validate=validate.Range(min=0, min_inclusive=False, max=1000),
    )


#: What the server computes; a client that sends them back (a GET sheet edited and PUT) is
#: not refused, and they are never read.
COMPUTED_SHEET_FIELDS = ("total", "defects", "final_score", "final_score_exact")


class CuppingSheetIn(LoadSchema):
    """One cupper's sheet for one sample; saving it again replaces it while the session is
    open. The sample by id or by its blind code."""

    sample_id = fields.Int(load_default=None)
    blind_code = fields.Str(validate=validate.Length(1, 10), load_default=None)
    cupper_id = fields.Int(required=True)
    #: Field name (quality.rules.fields_of(protocol)) → value as on the paper form.
    scores = fields.Dict(keys=fields.Str(), values=_number(), required=True)
    descriptors = Descriptors(load_default=list)
    notes = fields.Str(validate=validate.Length(max=1000), load_default=None)

    @pre_load
    def _ignore_computed(self, data, **_kwargs):
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k not in COMPUTED_SHEET_FIELDS}
            if isinstance(data.get("scores"), dict):
                data["scores"] = {
                    k: v for k, v in data["scores"].items() if k not in COMPUTED_SHEET_FIELDS
                }
        return data

    @validates_schema
    def _one_sample(self, data, **_kwargs):
        if data.get("sample_id") is None and not data.get("blind_code"):
            raise ValidationError(str(_l("Give the sample (its id or blind code).")), "sample_id")


class ReasonIn(LoadSchema):
    reason = fields.Str(required=True, validate=validate.Length(1, 500))


class GreenGradingIn(LoadSchema):
    # Optional measurements have no load_default: left out, they stay out (the rules' defaults).

    #: Defect type (quality.grades.GREEN_DEFECTS) → beans counted.
    defect_counts = fields.Dict(keys=fields.Str(), values=_number(), load_default=dict)
    #: Screen ("20" … "13", "below") → % of the sample retained; they add up to 100.
    screen_sizes = fields.Dict(
        keys=fields.Str(metadata={"enum": list(SCREEN_SIZES)}),
        values=_number(),
        load_default=dict,
    )
    moisture_pct = _number(required=True)
    water_activity = _number()
    quakers = _number()
    #: Omitted: 350 g, the SCA sample.
    sample_g = _number()
    #: Omitted: today.
    graded_on = fields.Date(load_default=None)
    notes = fields.Str(validate=_TEXT, load_default=None)


class PitahayaGradingIn(LoadSchema):
    codex_class = fields.Str(required=True, validate=validate.OneOf([c.value for c in CodexClass]))
    brix = _number(required=True)
    mean_fruit_g = _number(required=True)
    #: % of fruit not meeting the class; omitted: 0.
    defective_pct = _number()
    defects = fields.List(fields.Str(validate=validate.OneOf(PITAHAYA_DEFECTS)), load_default=list)
    graded_on = fields.Date(load_default=None)
    notes = fields.Str(validate=_TEXT, load_default=None)


# --- output -----------------------------------------------------------------------------------


def _score(**kwargs) -> DecimalOut:
    """A score to the cent, rounded half up as the panel mean is (quality.rules)."""
    return DecimalOut(places=2, rounding=ROUND_HALF_UP, **kwargs)


class ExactScore(DecimalOut):
    """A score with every decimal it has (CVA finals have up to five), at least two."""

    def _format_num(self, value):
        num = Decimal(str(value)).normalize()
        if num.as_tuple().exponent > -2:
            num = num.quantize(Decimal("0.01"))
        return num


class CupperOut(Schema):
    id = fields.Int()
    name = fields.Str()
    #: None for a guest cupper.
    user_id = fields.Int(allow_none=True)


class CuppingSheetOut(Schema):
    sample_id = fields.Int()
    blind_code = fields.Str()
    cupper_id = fields.Int()
    cupper = fields.Str()
    #: As stored: the cleaned values, as strings.
    scores = fields.Dict(keys=fields.Str(), values=fields.Str())
    descriptors = fields.List(fields.Str())
    notes = fields.Str(allow_none=True)
    #: Computed by the server: SCA the sum of the ten attributes, CVA 0.65625·Σ + 52.75.
    total = _score()
    defects = _score()
    #: total − defects, to the cent (half up); final_score_exact has every decimal.
    final_score = _score()
    final_score_exact = ExactScore()
    updated_at = fields.DateTime()


class DeviationOut(Schema):
    cupper_id = fields.Int()
    cupper = fields.Str()
    final_score = _score()
    #: The cupper's final score minus the panel mean (calibration).
    deviation = _score()


class PanelResultOut(Schema):
    mean = _score()
    #: Highest minus lowest final score.
    spread = _score()
    classification = fields.Str(metadata={"enum": [c.value for c in Classification]})
    cupper_count = fields.Int()
    deviations = fields.List(fields.Nested(DeviationOut))


class CuppingSampleOut(Schema):
    id = fields.Int()
    blind_code = fields.Str()
    #: Only once the session is closed, or for its creator and administrators (blind tasting).
    lot_code = fields.Str()
    transformation_id = fields.Int()
    sheets = fields.List(fields.Nested(CuppingSheetOut))
    #: None while no cupper has scored the sample.
    result = fields.Nested(PanelResultOut, allow_none=True)


#: Hidden from a cupper while the session is open: they would tell the lot.
BLIND_FIELDS = ("lot_code", "transformation_id")


class CuppingSessionOut(Schema):
    number = fields.Str()
    held_on = fields.Date()
    protocol = fields.Str(metadata={"enum": [p.value for p in Protocol]})
    status = fields.Str(metadata={"enum": [s.value for s in SessionStatus]})
    notes = fields.Str(allow_none=True)
    #: Who opened it.
    user_id = fields.Int(allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    reopened_at = fields.DateTime(allow_none=True)
    reopen_reason = fields.Str(allow_none=True)


class CuppingSessionDetailOut(CuppingSessionOut):
    cuppers = fields.List(fields.Nested(CupperOut))
    samples = fields.List(fields.Nested(CuppingSampleOut))


class CuppingScoreOut(Schema):
    score = _score()
    classification = fields.Str(metadata={"enum": [c.value for c in Classification]})
    protocols = fields.List(fields.Str())
    #: True: the kg-weighted mean of the inputs' scores (an estimate), never a measurement.
    derived = fields.Bool()
    session_number = fields.Str(allow_none=True)
    held_on = fields.Date(allow_none=True)
    cupper_count = fields.Int(allow_none=True)
    #: Share (0–1) of the lot's input kilograms the derived score rests on; 1 when measured.
    coverage = DecimalOut(places=4, rounding=ROUND_HALF_UP)
    measured_lots = fields.List(fields.Str())


class GreenGradingOut(Schema):
    id = fields.Int()
    lot_code = fields.Str()
    graded_on = fields.Date()
    sample_g = DecimalOut(places=1)
    defect_counts = fields.Dict(keys=fields.Str(), values=fields.Int())
    quakers = fields.Int(allow_none=True)
    moisture_pct = DecimalOut(places=2)
    water_activity = DecimalOut(places=3, allow_none=True)
    screen_sizes = fields.Dict(keys=fields.Str(), values=fields.Str())
    category_1 = fields.Int()
    category_2 = fields.Int()
    full_defects = fields.Int()
    full_defects_by_type = fields.Dict(keys=fields.Str(), values=fields.Int())
    grade = fields.Str(metadata={"enum": [g.value for g in GreenGrade]})
    #: Why the lot is not specialty grade (empty when it is).
    reasons = fields.List(fields.Str())
    notes = fields.Str(allow_none=True)
    created_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.Str(allow_none=True)


class PitahayaGradingOut(Schema):
    id = fields.Int()
    lot_code = fields.Str()
    graded_on = fields.Date()
    codex_class = fields.Str(metadata={"enum": [c.value for c in CodexClass]})
    brix = DecimalOut(places=1)
    mean_fruit_g = DecimalOut(places=1)
    #: From the size-code setting; None when the weight is outside every range.
    size_code = fields.Str(allow_none=True)
    defective_pct = DecimalOut(places=2)
    defects = fields.List(fields.Str())
    within_tolerance = fields.Bool()
    #: The class's Codex tolerance (% of fruit not meeting it).
    tolerance_pct = DecimalOut()
    notes = fields.Str(allow_none=True)
    created_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.Str(allow_none=True)


class LotQualityOut(Schema):
    lot = fields.Str()
    #: None when neither the lot nor anything it was made from was cupped in a closed session.
    cupping = fields.Nested(CuppingScoreOut, allow_none=True)
    #: The latest grading that is not voided, or None.
    green_grading = fields.Nested(GreenGradingOut, allow_none=True)
    pitahaya_grading = fields.Nested(PitahayaGradingOut, allow_none=True)
