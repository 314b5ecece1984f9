"""The demo's signing key and group operator certificate, so its certificates, statements and
bundles come signed and name their control body (certs/keys.py)."""

from datetime import timedelta

from sqlmodel import Session

from coopchain.certs import keys
from coopchain.demo.calendar import DemoCalendar
from coopchain.demo.registry import CERTIFIER
from coopchain.farms.certifiers import create_certifier, find_certifier


def load_demo_signing(session: Session, cal: DemoCalendar, org_id: int) -> None:
    """A generated key and the group's operator certificate, valid a year either side of the
    harvest (the certifier comes from the registry loader)."""
    keys.generate_key(session, org_id, None)
    certifier = find_certifier(session, org_id, CERTIFIER["code"]) or create_certifier(
        session, org_id, None, CERTIFIER
    )
    keys.record_operator_certificate(
        session,
        org_id,
        None,
        {
            "certifier_id": certifier.id,
            "number": f"CU-PE-{829_100 + org_id}",
            "valid_from": cal.harvest(1, 15) - timedelta(days=365),
            "valid_until": cal.harvest(1, 15) + timedelta(days=2 * 365),
        },
    )
