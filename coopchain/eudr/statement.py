"""The due diligence statement (DDS) of a shipment, as the EU Information System's Operator API
V3 wants it (DOMAIN.md §8): built from plain data, checked against the EU's limits before
anything leaves, and split into several complete statements when one would break a limit.

Pure: plain :class:`DdsInput` in, :class:`DdsPlan` out (statements as dicts with the API's own
field names, the JSON the importer reads and the XML body is built from); no app, database or
network. The producers' geometry is the EU GeoJSON of ``certs/eudr.py``: one FeatureCollection
per producer, base64-encoded, as ``geometryGeojson`` wants it.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from coopchain import formatting
from coopchain.certs.eudr import EudrPlot, format_size, plot_feature, plot_problems
from coopchain.errors import DomainError
from coopchain.farms.geometry import EUDR_DECIMALS, POINT_MAX_HA

# --- the EU's rules (DOMAIN.md §8, §10.3 of the Operator API reference) ------------------------
OPERATOR_ROLES = ("OPERATOR", "REPRESENTATIVE_OPERATOR")
#: TRADE was removed in V3.
ACTIVITY_TYPES = ("DOMESTIC", "IMPORT", "EXPORT")
MAX_INTERNAL_REFERENCE = 35
MAX_DESCRIPTION = 150
MAX_COMMODITIES = 100
MAX_PRODUCERS_PER_COMMODITY = 1000
MAX_PRODUCERS_PER_DDS = 10_000
MAX_GEOLOCATION_BYTES = 25 * 1024 * 1024
MAX_GROUPED_DECLARATIONS = 2000
POINT_MIN_HA = Decimal("0.0001")
#: Green coffee: the 6-digit heading of HS 0901.11 (DOMAIN.md §2), as hsHeading writes it.
GREEN_COFFEE_HEADING = "090111"
COFFEE_SPECIES = ("Coffea arabica", "Arabica coffee")

_HS = re.compile(r"^\d{2}(\d{2}){0,2}$")
_ISO2 = re.compile(r"^[A-Z]{2}$")
#: EORI: two-letter country code and up to 15 alphanumerics (Reg. (EU) 2015/2447 art. 1(18)).
_EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
_POINTS = frozenset({"Point", "MultiPoint"})


class DdsInvalid(DomainError):
    """The statement breaks a rule of the EU system; ``fields`` names each field and row."""

    code = "dds_invalid"
    status = 422


@dataclass
class DdsProducer:
    """One producer of the shipment with the plots it delivered from and its share of kg."""

    code: str
    name: str
    country: str
    plots: list[EudrPlot]
    net_kg: Decimal


@dataclass
class DdsInput:
    """Everything a statement is made of, as plain values (read by eudr/statements.py)."""

    internal_reference: str
    operator_role: str
    activity_type: str
    country_of_activity: str
    eori: str | None
    description_of_goods: str
    hs_heading: str
    net_kg: Decimal
    producers: list[DdsProducer]
    scientific_name: str = COFFEE_SPECIES[0]
    common_name: str = COFFEE_SPECIES[1]
    border_cross_country: str | None = None
    comment: str | None = None
    represented_operator: dict | None = None
    geo_location_confidential: bool = False
    grouped_declarations: list[str] = field(default_factory=list)


@dataclass
class DdsPlan:
    statements: list[dict]
    #: Producer codes of each statement, in order.
    producer_codes: list[list[str]]
    #: Why the shipment became several statements; empty when it is one.
    split_reasons: list[str]
    #: Per statement: bytes of its geolocation (the GeoJSON before base64).
    geolocation_bytes: list[int]

    @property
    def split(self) -> bool:
        return len(self.statements) > 1


# --- geometry ---------------------------------------------------------------------------------


def _dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def producer_geojson(producer: DdsProducer) -> dict:
    """The producer's plots as one FeatureCollection (a Type I file, DOMAIN.md §2)."""
    ordered = sorted(producer.plots, key=lambda p: p.plot_id)
    return {"type": "FeatureCollection", "features": [plot_feature(p) for p in ordered]}


def _positions(coords):
    if coords and isinstance(coords[0], int | float):
        yield coords
    else:
        for member in coords:
            yield from _positions(member)


def _geometries(geometry: dict):
    if geometry["type"] == "GeometryCollection":
        for member in geometry["geometries"]:
            yield from _geometries(member)
    else:
        yield geometry


def feature_problems(feature: dict) -> list[str]:
    """The §8 checks on one feature as it will be sent: point areas within 0.0001–4 ha and
    positions with at most 6 decimals."""
    problems = []
    points_only = all(g["type"] in _POINTS for g in _geometries(feature["geometry"]))
    area = Decimal(str(feature["properties"]["Area"]))
    if points_only and not POINT_MIN_HA <= area <= POINT_MAX_HA:
        problems.append(
            _(
                "A plot located by a point must declare between 0.0001 and 4 ha; this one "
                "declares %(area)s ha.",
                area=formatting.number(area, "#,##0.####"),
            )
        )
    for geometry in _geometries(feature["geometry"]):
        for position in _positions(geometry["coordinates"]):
            if any(round(v, EUDR_DECIMALS) != v for v in position[:2]):
                problems.append(_("A position has more than 6 decimals."))
                return problems
    return problems


# --- checks -----------------------------------------------------------------------------------


def check_input(data: DdsInput, checked: Callable[[], None] | None = None) -> None:
    """Every rule that does not depend on the split, each error naming its field (and row);
    ``checked()`` is called after each producer."""
    errors: dict[str, list[str]] = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if data.operator_role not in OPERATOR_ROLES:
        bad("operatorRole", _("Choose OPERATOR or REPRESENTATIVE_OPERATOR."))
    if data.activity_type not in ACTIVITY_TYPES:
        bad("activityType", _("Choose DOMESTIC, IMPORT or EXPORT."))
    if not _ISO2.match(data.country_of_activity or ""):
        bad("countryOfActivity", _("Give a two-letter ISO country code."))
    if data.border_cross_country and not _ISO2.match(data.border_cross_country):
        bad("borderCrossCountry", _("Give a two-letter ISO country code."))
    if data.activity_type in ("IMPORT", "EXPORT"):
        # IMPORT and EXPORT need an EORI and the net weight (§8, §10.3 of the reference).
        if not data.eori:
            bad("eori", _("IMPORT and EXPORT need the operator's EORI number."))
        if data.net_kg is None or data.net_kg <= 0:
            bad("netWeight", _("IMPORT and EXPORT need the net weight in kg."))
    if data.eori and not _EORI.match(data.eori):
        bad("eori", _("An EORI is a two-letter country code and up to 15 letters or digits."))
    if not data.internal_reference or len(data.internal_reference) > MAX_INTERNAL_REFERENCE:
        bad(
            "internalReferenceNumber",
            _("Between 1 and %(n)s characters.", n=MAX_INTERNAL_REFERENCE),
        )
    if not data.description_of_goods or len(data.description_of_goods) > MAX_DESCRIPTION:
        bad("descriptionOfGoods", _("Between 1 and %(n)s characters.", n=MAX_DESCRIPTION))
    if not _HS.match(data.hs_heading or ""):
        bad("hsHeading", _("An HS heading of 2, 4 or 6 digits (0901, 090111)."))
    if len(data.grouped_declarations) > MAX_GROUPED_DECLARATIONS:
        bad(
            "groupedDeclarations",
            _("At most %(n)s references.", n=formatting.integer(MAX_GROUPED_DECLARATIONS)),
        )
    if not data.producers:
        bad("producers", _("No origin plots: there is nothing to declare."))
    for producer in data.producers:
        name = f"producers[{producer.code}]"
        if not _ISO2.match(producer.country or ""):
            bad(name, _("The producer's country must be a two-letter ISO code."))
        if not producer.name:
            bad(name, _("The producer has no name."))
        for plot in producer.plots:
            for problem in plot_problems(plot) or feature_problems(plot_feature(plot)):
                bad(name, f"{plot.plot_name}: {problem}")
        if checked:
            checked()
    if errors:
        count = sum(len(v) for v in errors.values())
        raise DdsInvalid(
            _("The due diligence statement breaks %(n)s rule(s) of the EU system.", n=count),
            errors,
        )


def check_statement(statement: dict) -> None:
    """The limits of one statement as built (§8): a last guard before it leaves."""
    body = statement["statement"]
    commodities = body["commodities"]
    producers = [p for c in commodities for p in c["producers"]]
    geo = sum(len(base64.b64decode(p["geometryGeojson"])) for p in producers)
    errors = {}
    if len(commodities) > MAX_COMMODITIES:
        errors["commodities"] = [_("At most %(n)s commodities.", n=MAX_COMMODITIES)]
    for commodity in commodities:
        if len(commodity["producers"]) > MAX_PRODUCERS_PER_COMMODITY:
            errors[f"commodities[{commodity['position']}].producers"] = [
                _("At most %(n)s producers.", n=formatting.integer(MAX_PRODUCERS_PER_COMMODITY))
            ]
    if len(producers) > MAX_PRODUCERS_PER_DDS:
        errors["producers"] = [
            _("At most %(n)s producers.", n=formatting.integer(MAX_PRODUCERS_PER_DDS))
        ]
    if geo > MAX_GEOLOCATION_BYTES:
        errors["geometryGeojson"] = [
            _("At most %(size)s of geolocation.", size=format_size(MAX_GEOLOCATION_BYTES))
        ]
    if len(body.get("groupedDeclarations", [])) > MAX_GROUPED_DECLARATIONS:
        errors["groupedDeclarations"] = [
            _("At most %(n)s references.", n=formatting.integer(MAX_GROUPED_DECLARATIONS))
        ]
    if len(body["internalReferenceNumber"]) > MAX_INTERNAL_REFERENCE:
        errors["internalReferenceNumber"] = [
            _("Between 1 and %(n)s characters.", n=MAX_INTERNAL_REFERENCE)
        ]
    if errors:
        raise DdsInvalid(_("The statement breaks a limit of the EU system."), errors)


# --- building ---------------------------------------------------------------------------------


def _reference(base: str, number: int, count: int) -> str:
    """The internal reference of part `number` of `count`: "HH-2026-014/2-3" (≤ 35 chars)."""
    return base if count == 1 else f"{base}/{number}-{count}"


def _statement(data: DdsInput, number: int, count: int, group: list[tuple[DdsProducer, bytes]]):
    net = sum((producer.net_kg for producer, _geo in group), Decimal("0.000"))
    body = {
        "internalReferenceNumber": _reference(data.internal_reference, number, count),
        "activityType": data.activity_type,
    }
    if data.represented_operator:
        body["representedOperator"] = data.represented_operator
    body["countryOfActivity"] = data.country_of_activity
    if data.border_cross_country:
        body["borderCrossCountry"] = data.border_cross_country
    if data.comment:
        body["comment"] = data.comment
    body["commodities"] = [
        {
            "position": 1,
            "descriptors": {
                "descriptionOfGoods": data.description_of_goods,
                # kg with 3 decimals: the shipment's exact net weight, as a string (no float).
                "goodsMeasure": {"netWeight": str(net.quantize(Decimal("0.001")))},
            },
            "hsHeading": data.hs_heading,
            "speciesInfo": {
                "scientificName": data.scientific_name,
                "commonName": data.common_name,
            },
            "producers": [
                {
                    "position": position,
                    "country": producer.country,
                    "name": producer.name,
                    "geometryGeojson": base64.b64encode(geo).decode("ascii"),
                }
                for position, (producer, geo) in enumerate(group, start=1)
            ],
        }
    ]
    body["geoLocationConfidential"] = data.geo_location_confidential
    body["groupedDeclarations"] = list(data.grouped_declarations)
    return {"operatorRole": data.operator_role, "statement": body}


def build_statements(
    data: DdsInput,
    *,
    max_producers: int = MAX_PRODUCERS_PER_COMMODITY,
    max_bytes: int = MAX_GEOLOCATION_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> DdsPlan:
    """The shipment's statement, or several when one would hold more than ``max_producers``
    producers (one commodity line per statement, so the 1,000-per-commodity limit binds before
    the 10,000-per-DDS one) or more than ``max_bytes`` of geolocation. Each part is complete:
    the same operator, activity and goods, its own producers and their share of the net weight.
    Raises DdsInvalid naming every field and producer that breaks a rule.

    ``progress(done, total)``, when given, is called as each producer is checked and again as
    it is encoded (the two passes over the plots that take the time): total is twice the
    producers."""
    done, total = 0, 2 * len(data.producers)

    def step() -> None:
        nonlocal done
        done += 1
        progress(done, total)

    check_input(data, step if progress else None)
    producers = sorted(data.producers, key=lambda p: p.code)
    encoded = []
    for producer in producers:
        encoded.append((producer, _dumps(producer_geojson(producer))))
        if progress:
            step()
    for producer, geo in encoded:
        if len(geo) > max_bytes:
            raise DdsInvalid(
                _("The plots of one producer alone exceed the geolocation limit."),
                {f"producers[{producer.code}]": [format_size(len(geo))]},
            )
    groups: list[list[tuple[DdsProducer, bytes]]] = [[]]
    sizes = [0]
    reasons: set[str] = set()
    for producer, geo in encoded:
        if groups[-1] and len(groups[-1]) >= max_producers:
            reasons.add("producers")
        elif groups[-1] and sizes[-1] + len(geo) > max_bytes:
            reasons.add("bytes")
        else:
            groups[-1].append((producer, geo))
            sizes[-1] += len(geo)
            continue
        groups.append([(producer, geo)])
        sizes.append(len(geo))
    count = len(groups)
    longest = _reference(data.internal_reference, count, count)
    if len(longest) > MAX_INTERNAL_REFERENCE:
        raise DdsInvalid(
            _("The split statements' internal references would pass 35 characters."),
            {"internalReferenceNumber": [longest]},
        )
    statements = [_statement(data, i, count, group) for i, group in enumerate(groups, start=1)]
    for statement in statements:
        check_statement(statement)
    explained = []
    if "producers" in reasons:
        explained.append(
            _(
                "%(total)s producers: the EU system accepts at most %(n)s producers per "
                "commodity, so each statement holds at most %(n)s.",
                total=formatting.integer(len(producers)),
                n=formatting.integer(max_producers),
            )
        )
    if "bytes" in reasons:
        explained.append(
            _(
                "The geolocation passes %(size)s, the most one statement may carry.",
                size=format_size(max_bytes),
            )
        )
    return DdsPlan(
        statements=statements,
        producer_codes=[[p.code for p, _geo in group] for group in groups],
        split_reasons=explained,
        geolocation_bytes=sizes,
    )
