"""A SOAP 1.1 client for the EU Information System's ``EUDRDueDiligenceStatementServiceV3``
(DOMAIN.md §8): the envelope, the WS-Security header and the four operations we use.

The header is a ``UsernameToken`` whose ``Password`` is the PasswordDigest of the WS-Security
UsernameToken Profile 1.1 (Base64(SHA-1(nonce + created + authentication key))), with its
``Nonce`` and ``Created``, a ``wsu:Timestamp``, and ``v4:WebServiceClientId``. Certificate
authentication is "planned" by the EU and not supported here. The HTTP call is one function
(``post``) a caller can replace; tests point the client at a local stub server, never at the
EU's endpoints.
"""

from __future__ import annotations

import base64
import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree

from coopchain.errors import DomainError
from coopchain.eudr import xml as ddsxml

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
BASE_V4_NS = "http://ec.europa.eu/sanco/tracesnt/base/v4"
_USERNAME_PROFILE = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
)
#: The Password element's Type (a URI, not a password).
DIGEST_TYPE = _USERNAME_PROFILE + "#PasswordDigest"
BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
SERVICE_PATH = "ws/EUDRDueDiligenceStatementServiceV3"
#: How long the EU should accept the message (wsu:Expires after wsu:Created).
TIMESTAMP_TTL = timedelta(minutes=1)


class EudrServiceError(DomainError):
    """The EU system refused the call, or could not be reached."""

    code = "eudr_service"
    status = 502


@dataclass(frozen=True)
class DdsInfo:
    """What ``getDds`` says of a statement."""

    uuid: str
    status: str
    reference_number: str | None
    verification_number: str | None


def password_digest(nonce: bytes, created: str, key: str) -> str:
    """Base64(SHA-1(nonce + created + key)) (DOMAIN.md §8; UsernameToken Profile 1.1 §3.1)."""
    raw = nonce + created.encode("utf-8") + key.encode("utf-8")
    return base64.b64encode(hashlib.sha1(raw).digest()).decode("ascii")  # noqa: S324 (the spec)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def envelope(
    body, *, username: str, key: str, client_id: str, now: datetime, nonce: bytes
) -> bytes:
    """The SOAP envelope of `body` (an lxml element) with the security and client headers."""
    created = _utc(now)
    root = etree.Element(
        f"{{{SOAP_NS}}}Envelope",
        nsmap={"soapenv": SOAP_NS, "v4": BASE_V4_NS, "wsse": WSSE_NS, "wsu": WSU_NS},
    )
    header = etree.SubElement(root, f"{{{SOAP_NS}}}Header")
    security = etree.SubElement(header, f"{{{WSSE_NS}}}Security")
    security.set(f"{{{SOAP_NS}}}mustUnderstand", "1")
    stamp = etree.SubElement(security, f"{{{WSU_NS}}}Timestamp")
    stamp.set(f"{{{WSU_NS}}}Id", "TS-1")
    etree.SubElement(stamp, f"{{{WSU_NS}}}Created").text = created
    etree.SubElement(stamp, f"{{{WSU_NS}}}Expires").text = _utc(now + TIMESTAMP_TTL)
    token = etree.SubElement(security, f"{{{WSSE_NS}}}UsernameToken")
    token.set(f"{{{WSU_NS}}}Id", "UT-1")
    etree.SubElement(token, f"{{{WSSE_NS}}}Username").text = username
    password = etree.SubElement(token, f"{{{WSSE_NS}}}Password", Type=DIGEST_TYPE)
    password.text = password_digest(nonce, created, key)
    encoded = etree.SubElement(token, f"{{{WSSE_NS}}}Nonce", EncodingType=BASE64_BINARY)
    encoded.text = base64.b64encode(nonce).decode("ascii")
    etree.SubElement(token, f"{{{WSU_NS}}}Created").text = created
    etree.SubElement(header, f"{{{BASE_V4_NS}}}WebServiceClientId").text = client_id
    etree.SubElement(root, f"{{{SOAP_NS}}}Body").append(body)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def urllib_post(url: str, data: bytes, headers: dict, timeout: float) -> tuple[int, bytes]:
    """POST with the standard library; a SOAP fault comes back as HTTP 500 with a body."""
    if not url.startswith(("https://", "http://")):  # never file: or a custom scheme
        raise OSError(f"not an HTTP URL: {url}")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class DdsClient:
    base_url: str
    username: str
    key: str
    client_id: str
    clock: object  # () -> aware UTC datetime
    timeout: float = 30.0
    post: object = urllib_post

    def _call(self, operation: str, body) -> etree._Element:
        url = self.base_url.rstrip("/") + "/" + SERVICE_PATH
        data = envelope(
            body,
            username=self.username,
            key=self.key,
            client_id=self.client_id,
            now=self.clock(),
            nonce=os.urandom(16),
        )
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{operation}"'}
        try:
            status, answer = self.post(url, data, headers, self.timeout)
        except OSError as exc:
            raise EudrServiceError(f"{operation}: {exc}") from None
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            root = etree.fromstring(answer, parser)
        except etree.XMLSyntaxError:
            raise EudrServiceError(f"{operation}: HTTP {status}, not a SOAP answer") from None
        fault = root.find(f".//{{{SOAP_NS}}}Fault")
        if fault is not None or status >= 400:
            text = fault.findtext("faultstring") if fault is not None else None
            raise EudrServiceError(f"{operation}: {text or f'HTTP {status}'}")
        body = root.find(f"{{{SOAP_NS}}}Body")
        if body is None or not len(body):
            raise EudrServiceError(f"{operation}: empty SOAP body")
        return body[0]

    def submit_dds(self, statement: dict) -> str:
        """Send one statement; the EU answers with the statement's uuid."""
        answer = self._call("submitDds", ddsxml.submit_request(statement))
        return _required(answer, "uuid", "submitDds")

    def get_dds(self, uuid: str) -> DdsInfo:
        answer = self._call("getDds", ddsxml.uuid_request("GetDdsRequest", uuid))
        return DdsInfo(
            uuid=uuid,
            status=_required(answer, "status", "getDds"),
            reference_number=_text(answer, "referenceNumber"),
            verification_number=_text(answer, "verificationNumber"),
        )

    def amend_dds(self, uuid: str, statement: dict) -> None:
        self._call("amendDds", ddsxml.amend_request(uuid, statement))

    def withdraw_dds(self, uuid: str) -> None:
        self._call("withdrawDds", ddsxml.uuid_request("WithdrawDdsRequest", uuid))


def _text(element, name: str) -> str | None:
    found = element.find(f".//{{{ddsxml.DDS_NS}}}{name}")
    return found.text.strip() if found is not None and found.text else None


def _required(element, name: str, operation: str) -> str:
    value = _text(element, name)
    if not value:
        raise EudrServiceError(f"{operation}: the answer has no {name}")
    return value
