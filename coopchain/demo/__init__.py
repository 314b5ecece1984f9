"""Demo data: a coffee cooperative and a pitahaya association beside the Alto Mayo forest.

`load_demo` runs each domain's loader in the order the work happens: the farm registry, the
harvest season (deliveries, lots, cupping), then forest evidence and shipments. Everything
goes through the same services as the UI (so the ledger records it), from a fixed random seed
(so every machine gets the same demo), dated relative to the load day (demo/calendar.py).
Loading twice changes nothing.
"""

import random

from sqlalchemy import select
from sqlmodel import Session

from coopchain.auth import services as auth_services
from coopchain.auth.models import Organization, Role
from coopchain.clock import today
from coopchain.demo.areas import load_demo_areas
from coopchain.demo.calendar import DemoCalendar, calendar_for
from coopchain.demo.ics import load_demo_ics
from coopchain.demo.payments import load_demo_payments
from coopchain.demo.registry import load_registry
from coopchain.demo.season import load_demo_season
from coopchain.demo.shipments import load_demo_shipments, sample_bag_token
from coopchain.demo.signing import load_demo_signing
from coopchain.trace.settings import set_public_profile

COFFEE_ORG = ("COOPAM", "Cooperativa Agraria Cafetalera Alto Mayo", "cooperative")
PITAHAYA_ORG = ("APAM", "Asociación de Productores de Pitahaya Alto Mayo", "association")
DEMO_ORGS = (COFFEE_ORG, PITAHAYA_ORG)
DEMO_REGION = "Alto Mayo, San Martín"
#: The short stories on the public pages (an admin's text, in the cooperative's language).
DEMO_STORIES = {
    "coffee": (
        "Somos familias cafetaleras del valle del Alto Mayo. Cultivamos café bajo sombra de "
        "ingas y árboles nativos, y cuidamos el bosque vecino con acuerdos de conservación."
    ),
    "pitahaya": None,
}
DEMO_USERS = [
    ("admin@demo.coop", Role.ADMIN, "Ana Quispe (admin)"),
    ("staff@demo.coop", Role.STAFF, "Luis Tapia (acopio)"),
    ("quality@demo.coop", Role.QUALITY, "Carmen Ríos (catación)"),
    ("auditor@demo.coop", Role.AUDITOR, "Auditor externo"),
    ("treasurer@demo.coop", Role.TREASURER, "Rosa Vela (tesorería)"),
]


def load_demo(session: Session, password: str, calendar: DemoCalendar | None = None) -> bool:
    """Create the demo organisations once; return False if they already exist."""
    if session.scalar(select(Organization).where(Organization.code == COFFEE_ORG[0])):
        return False
    cal = calendar or calendar_for(today())
    # Fake data, not secrets; 2015: the year the cooperative first exported.
    rng = random.Random(2015)  # noqa: S311
    coffee = auth_services.create_organization(session, *COFFEE_ORG)
    pitahaya = auth_services.create_organization(session, *PITAHAYA_ORG)
    for email, role, name in DEMO_USERS:
        user = auth_services.create_user(session, email, name, password, weak_ok=True)
        auth_services.add_member(session, coffee.id, user, role, by_user_id=None)
        auth_services.add_member(session, pitahaya.id, user, role, by_user_id=None)
    for org, crop, producers, prefix in (
        (coffee, "coffee", 28, "CAF"),
        (pitahaya, "pitahaya", 12, "PIT"),
    ):
        # The first words of every public page: "Alto Mayo, San Martín, Peru — …".
        set_public_profile(session, org.id, None, region=DEMO_REGION, story=DEMO_STORIES[crop])
        load_registry(session, rng, cal, org.id, crop, producers, prefix)
        load_demo_areas(session, org.id)
        load_demo_signing(session, cal, org.id)
        load_demo_season(session, rng, cal, org.id, crop)
        load_demo_shipments(session, cal, org.id, crop)
        if crop == "coffee":
            load_demo_payments(session, cal, org.id)
        load_demo_ics(session, cal, org.id, crop)
    return True


__all__ = ["DEMO_ORGS", "DEMO_USERS", "load_demo", "sample_bag_token"]
