"""The identifiers of the EPCIS 2.0 export (DOMAIN.md §9): lots, bags, locations, business
transactions and events as URIs. Pure functions of the organisation's GS1 keys and public address.

With a GTIN, lots are class-level GS1 Digital Links `https://id.gs1.org/01/<GTIN>/10/<lot>` and
bags instance-level ones with AI 21 serial, built by the trace package's `digital_link` exactly
as on the QR codes, without the page token (an identifier names the bag, the token opens its
page). With a GLN and its GS1 Company Prefix, locations are SGLNs (EPC Tag Data Standard:
`urn:epc:id:sgln:<prefix>.<location reference>.<extension>`, extension "0" for the cooperative
itself, "P<plot id>" for a plot) and business transactions CBV 2.0
`urn:epcglobal:cbv:bt:<GLN>:<id>`.

Without them everything is a private URI under the cooperative's public address (docs/API.md,
"EPCIS 2.0"): `<PUBLIC_BASE_URL>/epcis/<ORG>/<kind>/<value>`, each segment percent-encoded,
kind one of lot, bag, site, plot, transformation, event, shipment, container, po, bol.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote

from coopchain.trace.gs1 import GS1Error, digital_link
from coopchain.trace.qr import gs1_serial

#: GS1's own resolver: the canonical host of a Digital Link used as an identifier
#: (GS1 Digital Link Standard 1.2 §4.11), whatever host the QR codes point at.
GS1_CANONICAL = "https://id.gs1.org"
#: The EPCIS 2.0 JSON-LD context (DOMAIN.md §9).
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#: Our user extensions (ledger hash and sequence, loss, product form, plot geolocation) live
#: in this namespace under the prefix `cc`, declared in every document's @context. It names
#: the vocabulary; it need not resolve.
EXTENSION_PREFIX = "cc"
EXTENSION_NAMESPACE = "https://ns.coopchain.org/epcis/"
CONTEXT = [EPCIS_CONTEXT, {EXTENSION_PREFIX: EXTENSION_NAMESPACE}]


def ext(name: str) -> str:
    """An extension property's compact name: "cc:<name>"."""
    return f"{EXTENSION_PREFIX}:{name}"


def _segment(value) -> str:
    return quote(str(value), safe="-._~")


@dataclass(frozen=True)
class Identities:
    """What the identifiers of one organisation depend on."""

    base_url: str
    org_code: str
    gtin: str | None = None
    gln: str | None = None
    company_prefix: str | None = None

    def private(self, kind: str, value="") -> str:
        path = f"{self.base_url.rstrip('/')}/epcis/{_segment(self.org_code)}/{kind}"
        return f"{path}/{_segment(value)}" if value != "" else path

    def lot(self, code: str) -> str:
        """Class-level identifier of a lot (quantityList epcClass)."""
        if self.gtin:
            try:
                return digital_link(GS1_CANONICAL, self.gtin, code)
            except GS1Error:  # a lot code outside GS1's character set or length
                pass
        return self.private("lot", code)

    def bag(self, serial: str, lot_code: str | None) -> str:
        """Instance-level identifier of a bag: the Digital Link of its QR code (lot and AI 21
        serial) without the page token, or a private URI."""
        if self.gtin and lot_code:
            try:
                return digital_link(
                    GS1_CANONICAL, self.gtin, lot_code, gs1_serial(serial, self.org_code)
                )
            except GS1Error:
                pass
        return self.private("bag", serial)

    def _sgln(self, extension: str) -> str | None:
        if not (self.gln and self.company_prefix):
            return None
        reference = self.gln[len(self.company_prefix) : 12]
        return f"urn:epc:id:sgln:{self.company_prefix}.{reference}.{extension}"

    def site(self) -> str:
        """The cooperative's own premises (collection centre, dry mill, warehouse)."""
        return self._sgln("0") or self.private("site")

    def plot(self, plot_id) -> str:
        return self._sgln(f"P{plot_id}") or self.private("plot", plot_id)

    def transaction(self, kind: str, value: str) -> str:
        """A business transaction (kind po or bol): CBV 2.0 GLN-based, or private."""
        if self.gln:
            return f"urn:epcglobal:cbv:bt:{self.gln}:{_segment(value)}"
        return self.private(kind, value)

    def transformation(self, transformation_id) -> str:
        return self.private("transformation", transformation_id)

    def event(self, seq: int) -> str:
        return self.private("event", seq)

    def shipment(self, reference: str) -> str:
        return self.private("shipment", reference)

    def container(self, number: str | None, reference: str) -> str:
        """ISO 6346 containers have no GS1 key: a private URI, or the shipment's before a
        container number is known."""
        return self.private("container", number) if number else self.shipment(reference)


def geo_uri(lon: float, lat: float) -> str:
    """RFC 5870 `geo:` URI, latitude first, 6 decimals (about 0.1 m, the EU's precision)."""
    return f"geo:{lat:.6f},{lon:.6f}"


def quantity(value) -> int | float:
    """A kilogram figure as the JSON number EPCIS wants. Our quantities have at most 12
    digits with 3 decimals, well under a double's 15, so the shortest float repr is the exact
    decimal: "1250.500" → 1250.5."""
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def local_midnight(day: str, zone) -> datetime:
    """The start of a business day on the cooperative's clock."""
    return datetime.fromisoformat(day).replace(tzinfo=zone)


def offset_text(moment: datetime) -> str:
    """eventTimeZoneOffset: "+00:00", "-05:00"."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
