"""The V3 request bodies as XML (DOMAIN.md §8): ``SubmitDdsRequest`` and the others the client
sends, built with lxml from the statement dicts of statement.py so JSON and XML cannot drift.

Elements are in the DDS namespace except the descriptors' goods description and measure and
the grouped declarations, which the reference puts in the common namespace.
"""

from lxml import etree

DDS_NS = "http://ec.europa.eu/tracesnt/certificate/eudr/due-diligence-statement/v3"
COMMON_NS = "http://ec.europa.eu/tracesnt/certificate/eudr/common/v3"
NSMAP = {"dds": DDS_NS, "eudrCommon": COMMON_NS}


def _dds(name: str) -> str:
    return f"{{{DDS_NS}}}{name}"


def _common(name: str) -> str:
    return f"{{{COMMON_NS}}}{name}"


def _add(parent, tag: str, text=None):
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = str(text).lower() if isinstance(text, bool) else str(text)
    return element


def _operator(parent, tag: str, operator: dict) -> None:
    element = _add(parent, _dds(tag))
    reference = operator.get("referenceNumber")
    if reference:
        number = _add(element, _dds("referenceNumber"))
        _add(number, _common("identifierType"), reference["identifierType"])
        _add(number, _common("identifierValue"), reference["identifierValue"])
    for name in ("name", "country", "address", "email"):
        if operator.get(name):
            _add(element, _dds(name), operator[name])


def statement_element(parent, body: dict) -> None:
    """`statement` with its children, in the order of the reference's schema."""
    statement = _add(parent, _dds("statement"))
    _add(statement, _dds("internalReferenceNumber"), body["internalReferenceNumber"])
    _add(statement, _dds("activityType"), body["activityType"])
    if body.get("representedOperator"):
        _operator(statement, "representedOperator", body["representedOperator"])
    _add(statement, _dds("countryOfActivity"), body["countryOfActivity"])
    if body.get("borderCrossCountry"):
        _add(statement, _dds("borderCrossCountry"), body["borderCrossCountry"])
    if body.get("comment"):
        _add(statement, _dds("comment"), body["comment"])
    for commodity in body["commodities"]:
        element = _add(statement, _dds("commodities"))
        _add(element, _dds("position"), commodity["position"])
        descriptors = _add(element, _dds("descriptors"))
        _add(
            descriptors,
            _common("descriptionOfGoods"),
            commodity["descriptors"]["descriptionOfGoods"],
        )
        measure = _add(descriptors, _common("goodsMeasure"))
        goods = commodity["descriptors"]["goodsMeasure"]
        for name in ("netWeight", "supplementaryUnit", "supplementaryUnitQualifier"):
            if goods.get(name) is not None:
                _add(measure, _common(name), goods[name])
        _add(element, _dds("hsHeading"), commodity["hsHeading"])
        species = _add(element, _dds("speciesInfo"))
        _add(species, _dds("scientificName"), commodity["speciesInfo"]["scientificName"])
        _add(species, _dds("commonName"), commodity["speciesInfo"]["commonName"])
        for producer in commodity["producers"]:
            row = _add(element, _dds("producers"))
            _add(row, _dds("position"), producer["position"])
            _add(row, _dds("country"), producer["country"])
            _add(row, _dds("name"), producer["name"])
            _add(row, _dds("geometryGeojson"), producer["geometryGeojson"])
    _add(statement, _dds("geoLocationConfidential"), body["geoLocationConfidential"])
    if body.get("groupedDeclarations"):
        grouped = _add(statement, _dds("groupedDeclarations"))
        for reference in body["groupedDeclarations"]:
            _add(grouped, _common("groupedDeclaration"), reference)


def submit_request(statement: dict):
    """The ``SubmitDdsRequest`` element of one statement dict ({operatorRole, statement})."""
    root = etree.Element(_dds("SubmitDdsRequest"), nsmap=NSMAP)
    _add(root, _dds("operatorRole"), statement["operatorRole"])
    statement_element(root, statement["statement"])
    return root


def amend_request(uuid: str, statement: dict):
    root = etree.Element(_dds("AmendDdsRequest"), nsmap=NSMAP)
    _add(root, _dds("uuid"), uuid)
    statement_element(root, statement["statement"])
    return root


def uuid_request(operation: str, uuid: str):
    """``GetDdsRequest`` or ``WithdrawDdsRequest``: the statement's uuid only."""
    root = etree.Element(_dds(operation), nsmap=NSMAP)
    _add(root, _dds("uuid"), uuid)
    return root


def to_bytes(element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)
