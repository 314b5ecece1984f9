"""Test data builders: they add and flush, never commit (the test's transaction rolls back).

Dates are fixed and far from the day the suite pins (tests/conftest.py): a builder's
delivery is months in the past and its agreement years in force."""

import itertools
from datetime import date
from decimal import Decimal

from werkzeug.security import generate_password_hash

from coopchain.auth import services as auth
from coopchain.auth.models import Organization, User
from coopchain.farms.agreements import create_agreement
from coopchain.farms.plots import create_plot
from coopchain.farms.producers import create_producer

_counter = itertools.count(1)


def next_number() -> int:
    return next(_counter)


def organization(session, code: str) -> Organization:
    return auth.create_organization(session, code, f"Org {code}", "cooperative")


#: A cheap hash: the real scrypt costs ~0.1 s per login, too slow for hundreds of tests.
_FAST_HASH = generate_password_hash("pw-1234", method="pbkdf2:sha256:1000")


def user(session, org, role: str = "staff", email: str | None = None):
    email = email or f"{role}{next(_counter)}@{org.code.lower()}.test"
    created = User(email=email, name=role.title(), password_hash=_FAST_HASH)
    session.add(created)
    session.flush()
    auth.add_member(session, org.id, created, role, by_user_id=None)
    return created


def producer(session, org, **fields):
    n = next(_counter)
    data = {
        "member_code": f"M-{n:04d}",
        "first_name": "Rosa",
        "last_name": f"Huamán {n}",
        "national_id": "41234567",
        "sex": "female",
        "community": "Nuevo Edén",
        "sector": None,
        "phone": "987654321",
        "joined_on": date(2016, 3, 1),
        "public_name_consent": False,
        "status": "active",
        **fields,
    }
    return create_producer(session, org.id, None, data)


def square(lon: float = -77.412345, lat: float = -5.701234, side: float = 0.001) -> dict:
    """A closed square polygon (0.001° ≈ 1.22 ha at 5.7° S)."""
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def plot(session, org, producer_obj, **fields):
    data = {
        "producer_id": producer_obj.id,
        "name": f"Parcela {next(_counter)}",
        "crop": "coffee",
        "geometry": square(),
        "declared_area_ha": Decimal("1.2"),
        "altitude_m": 1200,
        "varieties": "Caturra",
        "shade_agroforestry": True,
        "planting_year": 2015,
        "organic_conversion_start": date(2015, 1, 1),
        "organic_certifier_id": None,
        "organic_certificate_number": None,
        "organic_certificate_valid_until": None,
        "expected_yield_kg_ha": None,
        **fields,
    }
    return create_plot(session, org.id, None, data)


def certifier(session, org, name: str = "Control Union Peru", **fields):
    """The organisation's record of the control body `name`, made the first time it is asked."""
    from coopchain.farms.certifiers import create_certifier, find_certifier

    return find_certifier(session, org.id, name) or create_certifier(
        session, org.id, None, {"name": name, "country": "PE", **fields}
    )


def agreement(session, org, producers, **fields):
    data = {
        "number": f"AC-{next(_counter):04d}",
        "kind": "individual" if len(producers) == 1 else "collective",
        "protected_area": "BP Alto Mayo",
        "signed_on": date(2025, 1, 10),
        "valid_until": date(2030, 12, 31),
        "commitments": ["no_clearing"],
        "status": "active",
        "status_reason": None,
        "status_since": None,
        "producer_ids": [p.id for p in producers],
        **fields,
    }
    return create_agreement(session, org.id, None, data)


def delivery(session, org, producer_obj, plot_obj, **fields):
    """A registered delivery of dry parchment (500 kg net by default) and its origin lot."""
    from coopchain.lots import services as lots

    data = {
        "ticket_number": f"T-{next(_counter):05d}",
        "producer_id": producer_obj.id,
        "plot_id": plot_obj.id,
        "product_form": "dry_parchment",
        "gross_kg": Decimal("520"),
        "tare_kg": Decimal("20"),
        "moisture_pct": Decimal("12"),
        "delivered_on": date(2026, 6, 1),
        "price_per_kg": Decimal("14"),
        **fields,
    }
    created = lots.register_delivery(session, org.id, None, data)
    return created, lots.lot_of_delivery(session, created)
