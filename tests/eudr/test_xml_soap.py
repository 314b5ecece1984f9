"""The SubmitDdsRequest XML body in the V3 namespaces, and the SOAP client against the local
stub of the EU system (envelope, WS-Security PasswordDigest, client id, answers, faults)."""

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
from lxml import etree

from coopchain.eudr import soap
from coopchain.eudr import xml as ddsxml
from coopchain.eudr.soap import DdsClient, EudrServiceError
from coopchain.eudr.statement import build_statements
from tests.eudr.test_statement import data, producer

DDS = ddsxml.DDS_NS
COMMON = ddsxml.COMMON_NS
NOW = datetime(2026, 12, 2, 10, 30, 0, 123000, tzinfo=UTC)


@pytest.fixture
def statement():
    return build_statements(data([producer(1), producer(2)])).statements[0]


def test_the_submit_body_uses_the_v3_namespaces_and_field_names(statement):
    root = etree.fromstring(ddsxml.to_bytes(ddsxml.submit_request(statement)))
    assert root.tag == f"{{{DDS}}}SubmitDdsRequest"
    assert root.findtext(f"{{{DDS}}}operatorRole") == "OPERATOR"
    body = root.find(f"{{{DDS}}}statement")
    assert [etree.QName(e).localname for e in body] == [
        "internalReferenceNumber",
        "activityType",
        "countryOfActivity",
        "commodities",
        "geoLocationConfidential",
        "groupedDeclarations",
    ]
    commodity = body.find(f"{{{DDS}}}commodities")
    descriptors = commodity.find(f"{{{DDS}}}descriptors")
    assert descriptors.findtext(f"{{{COMMON}}}descriptionOfGoods").startswith("Green coffee")
    assert descriptors.findtext(f"{{{COMMON}}}goodsMeasure/{{{COMMON}}}netWeight") == "138.000"
    assert commodity.findtext(f"{{{DDS}}}hsHeading") == "090111"
    assert commodity.findtext(f"{{{DDS}}}speciesInfo/{{{DDS}}}scientificName") == "Coffea arabica"
    producers = commodity.findall(f"{{{DDS}}}producers")
    assert [p.findtext(f"{{{DDS}}}position") for p in producers] == ["1", "2"]
    geo = json.loads(base64.b64decode(producers[0].findtext(f"{{{DDS}}}geometryGeojson")))
    assert geo["features"][0]["properties"]["ProducerName"] == "Productor 1"
    assert body.findtext(f"{{{DDS}}}geoLocationConfidential") == "false"
    grouped = body.find(f"{{{DDS}}}groupedDeclarations")
    assert grouped.findtext(f"{{{COMMON}}}groupedDeclaration") == "25DEHH1234567"


def test_the_password_digest_follows_the_username_token_profile():
    nonce = bytes(range(16))
    created = "2026-12-02T10:30:00.123Z"
    expected = base64.b64encode(hashlib.sha1(nonce + created.encode() + b"key").digest())  # noqa: S324
    assert soap.password_digest(nonce, created, "key") == expected.decode()


def test_the_envelope_carries_the_security_and_client_headers(statement):
    nonce = b"0123456789abcdef"
    raw = soap.envelope(
        ddsxml.submit_request(statement),
        username="u",
        key="k",
        client_id="eudr-test",
        now=NOW,
        nonce=nonce,
    )
    root = etree.fromstring(raw)
    token = root.find(f".//{{{soap.WSSE_NS}}}UsernameToken")
    assert token.findtext(f"{{{soap.WSU_NS}}}Created") == "2026-12-02T10:30:00.123Z"
    assert root.findtext(f".//{{{soap.WSU_NS}}}Timestamp/{{{soap.WSU_NS}}}Expires") == (
        "2026-12-02T10:31:00.123Z"
    )
    assert token.findtext(f"{{{soap.WSSE_NS}}}Nonce") == base64.b64encode(nonce).decode()
    assert token.findtext(f"{{{soap.WSSE_NS}}}Password") == soap.password_digest(
        nonce, "2026-12-02T10:30:00.123Z", "k"
    )
    assert root.findtext(f".//{{{soap.BASE_V4_NS}}}WebServiceClientId") == "eudr-test"


def client(stub, **changes) -> DdsClient:
    values = dict(
        base_url=stub.base_url,
        username=stub.username,
        key=stub.key,
        client_id=stub.client_id,
        clock=lambda: NOW,
    )
    return DdsClient(**(values | changes))


def test_submit_get_amend_and_withdraw_against_the_stub(stub, statement):
    eu = client(stub)
    uuid = eu.submit_dds(statement)
    info = eu.get_dds(uuid)
    assert info.status == "AVAILABLE"
    assert info.reference_number.startswith("26FR") and info.verification_number
    eu.amend_dds(uuid, statement)
    eu.withdraw_dds(uuid)
    assert stub.calls == ["submitDds", "getDds", "amendDds", "withdrawDds"]
    assert stub.statements[uuid]["status"] == "WITHDRAWN" and stub.statements[uuid]["amended"]


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"key": "wrong"}, "PasswordDigest does not match"),
        ({"client_id": "other"}, "WebServiceClientId"),
        ({"username": "nobody"}, "unknown user"),
    ],
)
def test_a_refused_call_raises_with_the_eu_s_fault(stub, statement, changes, said):
    stub.allow_failures = True
    with pytest.raises(EudrServiceError) as caught:
        client(stub, **changes).submit_dds(statement)
    assert said in caught.value.message
    assert stub.statements == {}


def test_an_unreachable_service_is_a_clean_error(statement):
    eu = DdsClient("http://127.0.0.1:9/tracesnt/", "u", "k", "c", clock=lambda: NOW, timeout=2)
    with pytest.raises(EudrServiceError):
        eu.submit_dds(statement)
