"""Demo farm registry: producers, conservation agreements with ranger visits, and plots.

The plots include the registry's special cases (an in-conversion plot, a point, a bow-tie
polygon that the geometry rules refuse). Dates come from the demo calendar.
"""

import math
import random
from datetime import date
from decimal import Decimal

from coopchain.demo.calendar import DemoCalendar
from coopchain.farms.agreements import add_visit, create_agreement
from coopchain.farms.certifiers import create_certifier, find_certifier
from coopchain.farms.geometry import point_geometry
from coopchain.farms.geometry_validation import validate_plot_geometry
from coopchain.farms.plots import create_plot
from coopchain.farms.producers import create_producer, producer_by_code
from coopchain.ledger.services import append

FIRST_NAMES = [
    "Rosa",
    "Juan",
    "María",
    "José",
    "Elena",
    "Pedro",
    "Lucía",
    "Santos",
    "Marleni",
    "Wilder",
    "Delia",
    "Segundo",
    "Flor",
    "Eber",
    "Nelly",
    "Alcides",
    "Yolanda",
    "Hermes",
    "Zoila",
    "Ítalo",
]
LAST_NAMES = [
    "Huamán",
    "Tapia",
    "Fernández",
    "Guevara",
    "Vásquez",
    "Mego",
    "Chávez",
    "Rojas",
    "Cubas",
    "Díaz",
    "Núñez",
    "Sánchez",
    "Campos",
    "Coronel",
    "Peña",
    "Bustamante",
]
COMMUNITIES = [
    "Nuevo Edén",
    "Aguas Verdes",
    "San Andrés",
    "Alto Perú",
    "Paitoja",
    "Bella Alianza",
    "El Afluente",
    "Santa Rosa de Huasta",
]
CENTRE = (-77.40, -5.70)  # lon, lat near the Alto Mayo Protection Forest
METRES_PER_DEGREE = 111_320


#: The control body certifying every demo plot (its EU control-body code).
CERTIFIER = {"name": "Control Union Peru", "code": "PE-BIO-149", "country": "PE"}


def polygon_around(rng: random.Random, lon: float, lat: float, hectares: float) -> dict:
    """A star-shaped (hence simple) polygon of roughly `hectares`, 6-decimal coordinates."""
    radius = math.sqrt(hectares * 10_000 / math.pi)
    count = rng.randint(6, 9)
    step = 2 * math.pi / count
    # Evenly spread angles with a little jitter: irregular like a real survey, never a sliver.
    angles = [i * step + rng.uniform(-0.3, 0.3) * step for i in range(count)]
    ring = []
    for angle in angles:
        r = radius * rng.uniform(0.9, 1.1)
        dx, dy = r * math.cos(angle), r * math.sin(angle)
        ring.append(
            [
                round(lon + dx / (METRES_PER_DEGREE * math.cos(math.radians(lat))), 6),
                round(lat + dy / METRES_PER_DEGREE, 6),
            ]
        )
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def load_registry(
    session, rng, cal: DemoCalendar, org_id: int, crop: str, producers: int, prefix: str
) -> None:
    """`producers` members, each with an agreement and one or two plots, and the special cases."""
    for n in range(1, producers + 1):
        community = rng.choice(COMMUNITIES)
        producer = create_producer(
            session,
            org_id,
            None,
            {
                "member_code": f"{prefix}-{n:04d}",
                "first_name": rng.choice(FIRST_NAMES),
                "last_name": f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}",
                "national_id": f"{rng.randint(40_000_000, 48_999_999)}",
                "sex": rng.choice(["female", "male"]),
                "community": community,
                "sector": f"Sector {rng.randint(1, 4)}",
                "phone": f"9{rng.randint(10_000_000, 99_999_999)}",
                "joined_on": date(rng.randint(2012, 2022), rng.randint(1, 12), 1),
                "public_name_consent": rng.random() < 0.6,
                "status": "active",
                # A fictitious 20-digit CCI (bank, branch, account, check) so the demo's
                # payment runs can pay by transfer; not drawn from rng, so the rest of the
                # demo stays the same.
                "cci": f"002250{191_000_000_000 + n:012d}{n * 7 % 100:02d}",
            },
        )
        _agreement(session, rng, cal, org_id, producer, n, prefix)
        for k in range(1 if n % 3 else 2):
            _plot(session, rng, cal, org_id, producer, crop, n, k)
    _special_cases(session, rng, cal, org_id, crop, prefix)


def _agreement(session, rng, cal, org_id, producer, n, prefix):
    signed = cal.harvest(rng.randint(1, 6), rng.randint(1, 28), years_before=1)
    ended = n % 11 == 0
    agreement = create_agreement(
        session,
        org_id,
        None,
        {
            "number": f"AC-{prefix}-{signed.year}-{n:03d}",
            "kind": "individual",
            "protected_area": "Bosque de Protección Alto Mayo",
            "signed_on": signed,
            "valid_until": cal.agreements_valid_until,
            "commitments": [
                "no_clearing",
                "no_hunting",
                "no_pollution",
                "organic_practices",
                "patrols",
                "restoration",
            ],
            "status": "ended" if ended else "active",
            "status_reason": "Dejó la cooperativa" if ended else None,
            "status_since": cal.harvest(3, 1) if ended else None,
            "producer_ids": [producer.id],
        },
    )
    for month in (3, 9):
        visited = date(signed.year, month, 15)
        if visited >= signed:
            add_visit(
                session,
                org_id,
                None,
                agreement.id,
                {
                    "visited_on": visited,
                    "inspector": "Guardaparque " + rng.choice(LAST_NAMES),
                    "result": "minor" if rng.random() < 0.1 else "compliant",
                    "notes": "Sin tala nueva; sombra en buen estado.",
                },
            )


def _plot(session, rng, cal, org_id, producer, crop, n, k):
    lon = CENTRE[0] + rng.uniform(-0.12, 0.12)
    lat = CENTRE[1] + rng.uniform(-0.10, 0.10)
    hectares = round(rng.uniform(0.5, 8.0), 2)
    as_point = hectares <= 4 and rng.random() < 0.3
    geometry = (
        point_geometry(round(lon, 6), round(lat, 6))
        if as_point
        else polygon_around(rng, lon, lat, hectares)
    )
    declared = Decimal(str(hectares)) if as_point else _declared_area(rng, geometry, crop)
    conversion = date(rng.randint(2012, 2020), rng.randint(1, 12), 1)
    create_plot(
        session,
        org_id,
        None,
        {
            "producer_id": producer.id,
            "name": rng.choice(
                [
                    "La Esperanza",
                    "El Mirador",
                    "Las Orquídeas",
                    "San Juan",
                    "Los Pinos",
                    "Nuevo Amanecer",
                    "La Quebrada",
                ]
            )
            + f" {k + 1}",
            "crop": crop,
            "geometry": geometry,
            "declared_area_ha": declared,
            "altitude_m": rng.randint(900, 1500),
            "varieties": "Caturra, Catimor, Bourbon" if crop == "coffee" else "Amarilla",
            "shade_agroforestry": crop == "coffee",
            "planting_year": rng.randint(2008, 2020),
            "organic_conversion_start": conversion,
            "organic_certifier_id": _control_union(session, org_id),
            "organic_certificate_number": f"CU-{8000 + n}",
            "organic_certificate_valid_until": cal.certificates_valid_until,
            "expected_yield_kg_ha": None,
        },
    )


def _control_union(session, org_id: int) -> int:
    """The demo's one control body, recorded the first time a plot needs it."""
    certifier = find_certifier(session, org_id, CERTIFIER["code"]) or create_certifier(
        session, org_id, None, CERTIFIER
    )
    return certifier.id


def _declared_area(rng, geometry: dict, crop: str) -> Decimal:
    """What a farmer declares: the surveyed area give or take 5 %."""
    measured = validate_plot_geometry(geometry, crop=crop, declared_area_ha=None).computed_area_ha
    return (measured * Decimal(str(rng.uniform(0.95, 1.05)))).quantize(Decimal("0.01"))


def _special_cases(session, rng, cal, org_id, crop, prefix):
    """Plots that show the warnings: in conversion, area mismatch, point too large, bad shape."""
    first = producer_by_code(session, org_id, f"{prefix}-0001")
    second = producer_by_code(session, org_id, f"{prefix}-0002")
    base = {
        "crop": crop,
        "altitude_m": 1200,
        "shade_agroforestry": crop == "coffee",
        "organic_certifier_id": _control_union(session, org_id),
    }
    # Organic since 2016 and inspected like the others: their problems are the shape and the
    # area, not the certificate (a blank one would block every lot they reach).
    certified = {
        **base,
        "organic_certificate_valid_until": cal.certificates_valid_until,
    }
    numbers = iter(range(9001, 9010))
    new_plot = polygon_around(rng, -77.35, -5.66, 1.2)
    create_plot(
        session,
        org_id,
        None,
        {
            **base,
            "producer_id": first.id,
            "name": "Parcela nueva (en conversión)",
            "geometry": new_plot,
            "declared_area_ha": _declared_area(rng, new_plot, crop),
            # Converting since the March before the harvest: its coffee is not organic yet.
            "organic_conversion_start": cal.harvest(3, 1, years_before=1),
        },
    )
    create_plot(
        session,
        org_id,
        None,
        {
            **certified,
            "organic_certificate_number": f"CU-{next(numbers)}",
            "producer_id": second.id,
            "name": "El Bajo (área declarada distinta)",
            "geometry": polygon_around(rng, -77.45, -5.74, 2.0),
            "declared_area_ha": Decimal("3.5"),
            "organic_conversion_start": date(2016, 5, 1),
        },
    )
    if crop == "pitahaya":
        create_plot(
            session,
            org_id,
            None,
            {
                **certified,
                "organic_certificate_number": f"CU-{next(numbers)}",
                "producer_id": second.id,
                "name": "Ladera (solo punto, 5 ha)",
                "geometry": point_geometry(-77.381234, -5.712345),
                "declared_area_ha": Decimal("5"),
                "organic_conversion_start": date(2016, 5, 1),
            },
        )
        return
    # A plot surveyed before validation existed: its bow-tie outline is kept as recorded so
    # staff see the error and re-survey it; the form and API would refuse it.
    plot = create_plot(
        session,
        org_id,
        None,
        {
            **certified,
            "organic_certificate_number": f"CU-{next(numbers)}",
            "producer_id": second.id,
            "name": "Parcela con contorno cruzado",
            "geometry": None,
            "declared_area_ha": Decimal("1.5"),
            "organic_conversion_start": date(2016, 5, 1),
        },
    )
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [
                [-77.401000, -5.681000],
                [-77.389000, -5.691000],
                [-77.389000, -5.681000],
                [-77.401000, -5.691000],
                [-77.401000, -5.681000],
            ]
        ],
    }
    report = validate_plot_geometry(bow_tie, crop=crop, declared_area_ha=Decimal("1.5"))
    plot.geometry = bow_tie
    plot.geometry_issues = [{**i.to_dict(), "severity": "error"} for i in report.errors]
    session.add(plot)
    append(
        session,
        org_id,
        "plot.legacy_geometry_loaded",
        ("plot", plot.id),
        {"geometry": bow_tie, "errors": [i.rule for i in report.errors]},
        action="OBSERVE",
    )
    session.flush()
