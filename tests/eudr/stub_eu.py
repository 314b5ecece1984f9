"""A local stand-in for the EU Information System's EUDRDueDiligenceStatementServiceV3, run in
a thread by the tests: it checks every request's envelope, its WS-Security header (recomputing
the PasswordDigest from the Nonce, Created and the key it was given), the WebServiceClientId
and the body, and answers like the reference's examples. A check that fails is answered with a
SOAP Fault naming it, and recorded in ``failures``. The real endpoints are never called."""

import base64
import hashlib
import itertools
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
V4 = "http://ec.europa.eu/sanco/tracesnt/base/v4"
DDS = "http://ec.europa.eu/tracesnt/certificate/eudr/due-diligence-statement/v3"
COMMON = "http://ec.europa.eu/tracesnt/certificate/eudr/common/v3"
DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordDigest"
)
PATH = "/tracesnt/ws/EUDRDueDiligenceStatementServiceV3"
OPERATIONS = {
    "SubmitDdsRequest": "submitDds",
    "GetDdsRequest": "getDds",
    "AmendDdsRequest": "amendDds",
    "WithdrawDdsRequest": "withdrawDds",
}


class Refused(Exception):
    pass


class StubEU:
    def __init__(self, username="coop-ws", key="s3cr3t-auth-key", client_id="eudr-test"):
        self.username, self.key, self.client_id = username, key, client_id
        self.statements: dict[str, dict] = {}
        self.calls: list[str] = []
        self.failures: list[str] = []
        self.allow_failures = False
        self._numbers = itertools.count(4902)
        self._uuids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/tracesnt/"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        self.statements.clear()
        self.calls.clear()
        self.failures.clear()
        self.allow_failures = False

    # --- checks -----------------------------------------------------------------------------

    def check_security(self, header) -> None:
        token = header.find(f"{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
        stamp = header.find(f"{{{WSSE}}}Security/{{{WSU}}}Timestamp")
        if token is None or stamp is None:
            raise Refused("no UsernameToken or wsu:Timestamp")
        if None in (stamp.findtext(f"{{{WSU}}}Created"), stamp.findtext(f"{{{WSU}}}Expires")):
            raise Refused("Timestamp without Created/Expires")
        if token.findtext(f"{{{WSSE}}}Username") != self.username:
            raise Refused("unknown user")
        password = token.find(f"{{{WSSE}}}Password")
        if password is None or password.get("Type") != DIGEST:
            raise Refused("Password is not a PasswordDigest")
        nonce = base64.b64decode(token.findtext(f"{{{WSSE}}}Nonce"))
        created = token.findtext(f"{{{WSU}}}Created")
        datetime.strptime(created, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        expected = base64.b64encode(
            hashlib.sha1(nonce + created.encode() + self.key.encode()).digest()  # noqa: S324
        ).decode()
        if password.text != expected:
            raise Refused("authentication failed: PasswordDigest does not match")
        if header.findtext(f"{{{V4}}}WebServiceClientId") != self.client_id:
            raise Refused("wrong WebServiceClientId")

    def check_statement(self, statement) -> None:
        if statement is None:
            raise Refused("no statement")
        reference = statement.findtext(f"{{{DDS}}}internalReferenceNumber") or ""
        if not 1 <= len(reference) <= 35:
            raise Refused("internalReferenceNumber")
        if statement.findtext(f"{{{DDS}}}activityType") not in ("DOMESTIC", "IMPORT", "EXPORT"):
            raise Refused("activityType")
        if statement.findtext(f"{{{DDS}}}geoLocationConfidential") not in ("true", "false"):
            raise Refused("geoLocationConfidential")
        commodities = statement.findall(f"{{{DDS}}}commodities")
        if not 1 <= len(commodities) <= 100:
            raise Refused("commodities")
        for commodity in commodities:
            measure = commodity.find(f"{{{DDS}}}descriptors/{{{COMMON}}}goodsMeasure")
            if measure is None or not measure.findtext(f"{{{COMMON}}}netWeight"):
                raise Refused("netWeight")
            producers = commodity.findall(f"{{{DDS}}}producers")
            if not 1 <= len(producers) <= 1000:
                raise Refused("producers")
            for producer in producers:
                geo = json.loads(base64.b64decode(producer.findtext(f"{{{DDS}}}geometryGeojson")))
                if geo.get("type") != "FeatureCollection" or not geo["features"]:
                    raise Refused("geometryGeojson")
                if len(producer.findtext(f"{{{DDS}}}country") or "") != 2:
                    raise Refused("producer country")

    # --- answers ----------------------------------------------------------------------------

    def answer(self, action: str, envelope: bytes) -> bytes:
        root = etree.fromstring(envelope)
        if root.tag != f"{{{SOAP}}}Envelope":
            raise Refused("not a SOAP 1.1 envelope")
        self.check_security(root.find(f"{{{SOAP}}}Header"))
        (body,) = root.find(f"{{{SOAP}}}Body")
        name = etree.QName(body).localname
        if etree.QName(body).namespace != DDS or OPERATIONS.get(name) != action:
            raise Refused(f"unexpected operation {name} for SOAPAction {action}")
        self.calls.append(action)
        if name == "SubmitDdsRequest":
            role = body.findtext(f"{{{DDS}}}operatorRole")
            if role not in ("OPERATOR", "REPRESENTATIVE_OPERATOR"):
                raise Refused("operatorRole")
            self.check_statement(body.find(f"{{{DDS}}}statement"))
            uuid = f"5b3f0c62-1d2e-4c6f-9a8b-{next(self._uuids):012d}"
            self.statements[uuid] = {"status": "SUBMITTED", "body": etree.tostring(body)}
            return _response("SubmitDdsResponse", uuid=uuid)
        uuid = body.findtext(f"{{{DDS}}}uuid")
        if uuid not in self.statements:
            raise Refused(f"unknown uuid {uuid}")
        known = self.statements[uuid]
        if name == "GetDdsRequest":
            if known["status"] == "SUBMITTED":
                number = next(self._numbers)
                known.update(
                    status="AVAILABLE",
                    referenceNumber=f"26FRXVV3VOS{number}",
                    verificationNumber=f"KYL{number}Q",
                )
            names = ("status", "referenceNumber", "verificationNumber")
            fields = {k: known[k] for k in names if k in known}
            return _response("GetDdsResponse", uuid=uuid, **fields)
        if name == "AmendDdsRequest":
            self.check_statement(body.find(f"{{{DDS}}}statement"))
            known["amended"] = True
            return _response("AmendDdsResponse", uuid=uuid)
        known["status"] = "WITHDRAWN"
        return _response("WithdrawDdsResponse", uuid=uuid)

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                action = (self.headers.get("SOAPAction") or "").strip('"')
                try:
                    if self.path != PATH:
                        raise Refused(f"wrong path {self.path}")
                    if not self.headers.get("Content-Type", "").startswith("text/xml"):
                        raise Refused("Content-Type")
                    status, body = 200, stub.answer(action, data)
                except Refused as exc:
                    stub.failures.append(str(exc))
                    status, body = 500, _fault(str(exc))
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


def _response(name: str, **values) -> bytes:
    return (
        f'<S:Envelope xmlns:S="{SOAP}"><S:Body><ns3:{name} xmlns:ns3="{DDS}">'
        + "".join(f"<ns3:{k}>{v}</ns3:{k}>" for k, v in values.items())
        + f"</ns3:{name}></S:Body></S:Envelope>"
    ).encode()


def _fault(message: str) -> bytes:
    return (
        f'<S:Envelope xmlns:S="{SOAP}"><S:Body><S:Fault><faultcode>S:Client</faultcode>'
        f"<faultstring>{message}</faultstring></S:Fault></S:Body></S:Envelope>"
    ).encode()
