"""The demo's internal control system and export details: the shipper's RUC and address for
the packing list, and this year's inspections of most members (a few not yet inspected, one
warned), so the certifier's report has both lists to show."""

import random
from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from coopchain.auth.organization_settings import set_export_settings
from coopchain.db import owned
from coopchain.demo.calendar import DemoCalendar
from coopchain.farms.models import Producer
from coopchain.ics.inspections import record_inspection

#: Fake numbers in the RUC's shape (11 digits, 20… for a company): not a real taxpayer.
DEMO_RUC = {"coffee": "20600000011", "pitahaya": "20600000022"}
DEMO_ADDRESS = "Jr. Alto Mayo 123, Moyobamba, San Martín"
INSPECTORS = ("Rosa Tello", "Luis Huamán")
#: Members left uninspected this year (the report lists them first).
NOT_YET = 3


def load_demo_ics(session: Session, cal: DemoCalendar, org_id: int, crop: str) -> None:
    # Its own generator: drawing from the shared one would change every loader after this one.
    rng = random.Random(f"ics-{crop}")  # noqa: S311 (fake data)
    set_export_settings(
        session,
        org_id,
        None,
        {
            "ruc": DEMO_RUC[crop],
            "address": DEMO_ADDRESS,
            "bag_tare_kg": Decimal("0.700"),
            "yield_block_pct": Decimal("100"),
        },
    )
    members = list(session.scalars(owned(Producer, org_id).order_by(Producer.member_code)))
    year_start = cal.today.replace(month=1, day=1)
    span = max((cal.today - year_start).days, 1)
    for index, producer in enumerate(members[:-NOT_YET]):
        warned = index == 1
        record_inspection(
            session,
            org_id,
            None,
            producer.id,
            {
                "inspected_on": year_start + timedelta(days=rng.randrange(span)),
                "inspector": INSPECTORS[index % 2],
                "result": "minor_nonconformity" if warned else "compliant",
                "findings": "Input records incomplete for the last quarter." if warned else None,
                "sanction": "warning" if warned else "none",
                "sanction_reason": "Complete the input records before the next visit."
                if warned
                else None,
            },
        )
