"""marshmallow schemas of the DDS API: the statement with the Operator API V3's own field
names (DOMAIN.md §8), what was filed, and the EU account form."""

from marshmallow import Schema, fields, validate

from coopchain.schemas import LoadSchema


class _Api(Schema):
    """Output with the EU's camelCase names (attribute and key are the same)."""


class DdsGoodsMeasureOut(_Api):
    netWeight = fields.Str(metadata={"description": "kg, 3 decimals", "pattern": r"^\d+\.\d{3}$"})


class DdsDescriptorsOut(_Api):
    descriptionOfGoods = fields.Str()
    goodsMeasure = fields.Nested(DdsGoodsMeasureOut)


class DdsSpeciesOut(_Api):
    scientificName = fields.Str()
    commonName = fields.Str()


class DdsProducerOut(_Api):
    position = fields.Int()
    country = fields.Str(metadata={"description": "ISO 3166-1 alpha-2"})
    name = fields.Str()
    geometryGeojson = fields.Str(metadata={"description": "base64 of a GeoJSON FeatureCollection"})


class DdsCommodityOut(_Api):
    position = fields.Int()
    descriptors = fields.Nested(DdsDescriptorsOut)
    hsHeading = fields.Str()
    speciesInfo = fields.Nested(DdsSpeciesOut)
    producers = fields.List(fields.Nested(DdsProducerOut))


class DdsStatementBodyOut(_Api):
    internalReferenceNumber = fields.Str()
    activityType = fields.Str()
    representedOperator = fields.Dict()
    countryOfActivity = fields.Str()
    borderCrossCountry = fields.Str()
    comment = fields.Str()
    commodities = fields.List(fields.Nested(DdsCommodityOut))
    geoLocationConfidential = fields.Bool()
    groupedDeclarations = fields.List(fields.Str())


class DdsRequestOut(_Api):
    """One SubmitDdsRequest: the operator's role and the statement."""

    operatorRole = fields.Str()
    statement = fields.Nested(DdsStatementBodyOut)


class DdsFiledOut(Schema):
    part = fields.Int()
    part_count = fields.Int()
    internal_reference = fields.Str()
    uuid = fields.Str()
    status = fields.Str()
    reference_number = fields.Str(allow_none=True)
    verification_number = fields.Str(allow_none=True)
    submitted_at = fields.DateTime()
    checked_at = fields.DateTime(allow_none=True)


class DdsOut(Schema):
    reference = fields.Str()
    split = fields.Bool()
    split_reasons = fields.List(fields.Str())
    statements = fields.List(fields.Nested(DdsRequestOut))
    filed = fields.List(fields.Nested(DdsFiledOut))


class DdsFiledListOut(Schema):
    reference = fields.Str()
    filed = fields.List(fields.Nested(DdsFiledOut))


class DdsUuidIn(LoadSchema):
    uuid = fields.Str(required=True, validate=validate.Length(min=1, max=64))


def filed_out(rows) -> list[dict]:
    """Statement rows as the API and the page show them."""
    return DdsFiledOut(many=True).dump(rows)
