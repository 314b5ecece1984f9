"""Demo season: deliveries, lots built from them, a processed export lot and its bags.

Runs through the same services as the UI, after the farm registry (demo/registry.py), inside
an app context (lot codes and bag weights are settings). The calendar's harvest, April to
September, so the mass-balance report and the lot pages have something real to show:
- COOPAM: every coffee producer delivers dry parchment a few times; the organic deliveries of
  each quarter are merged, both merges are merged again, hulled to green and split into two
  export lots; one is bagged (69 kg) and sampled for the lab. The in-conversion plot's coffee
  stays apart (no commingling), and one plot delivers far more than its area can yield, so
  the mass-balance report flags it. The lab cups and grades along the way (demo/quality.py).
- APAM: pitahaya deliveries merged into one lot and packed into boxes.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization
from coopchain.demo import quality as demo_quality
from coopchain.demo.calendar import DemoCalendar
from coopchain.farms.models import Plot, Producer
from coopchain.farms.rules import OrganicStatus, organic_status
from coopchain.lots import bags, services, transformations
from coopchain.lots.models import Lot

#: Deliveries fall on the harvest's first SEASON_DAYS days from 1 April.
SEASON_DAYS = 180


def load_demo_season(
    session: Session, rng: random.Random, cal: DemoCalendar, org_id: int, crop: str
) -> None:
    plots = _clean_plots(session, org_id, crop)
    form = "dry_parchment" if crop == "coffee" else "fresh_fruit"
    deliveries = []
    for number, plot in enumerate(plots):
        for visit in range(rng.randint(2, 4)):
            net = Decimal(rng.randint(4, 20) * (23 if crop == "coffee" else 40))
            day = cal.harvest(4, 1) + timedelta(days=rng.randint(0, SEASON_DAYS - 1))
            deliveries.append((plot, day, net, f"{number:03d}{visit}"))
    if crop == "coffee":
        # The mass-balance report's red flag: a small plot "delivering" three times its yield.
        smallest = min(plots, key=lambda p: p.area_ha)
        expected = smallest.area_ha * Decimal("700")
        deliveries.append(
            (smallest, cal.harvest(8, 20), (expected * 3).quantize(Decimal("1")), "X")
        )
    deliveries.sort(key=lambda item: (item[1], item[3]))
    lots = []
    for n, (plot, day, net, _key) in enumerate(deliveries, start=1):
        delivery = services.register_delivery(
            session,
            org_id,
            None,
            {
                "ticket_number": f"{'C' if crop == 'coffee' else 'P'}-{n:05d}",
                "producer_id": plot.producer_id,
                "plot_id": plot.id,
                "product_form": form,
                "gross_kg": net + Decimal("1.5"),
                "tare_kg": Decimal("1.5"),
                "moisture_pct": Decimal(str(round(rng.uniform(11, 13.5), 1)))
                if crop == "coffee"
                else None,
                "delivered_on": day,
                "price_per_kg": Decimal("14.50") if crop == "coffee" else Decimal("6.80"),
            },
        )
        lots.append((services.lot_of_delivery(session, delivery), plot, day))
    if crop == "coffee":
        _coffee_lots(session, cal, org_id, lots)
    else:
        _pitahaya_lots(session, cal, org_id, lots)


def _clean_plots(session: Session, org_id: int, crop: str) -> list[Plot]:
    """Plots with a valid outline or point, in member order (the legacy bow-tie is left out)."""
    rows = session.scalars(
        select(Plot)
        .join(Producer, Producer.id == Plot.producer_id)
        .where(in_organization(Plot, org_id), Plot.crop == crop)
        .order_by(Producer.member_code, Plot.id)
    )
    return [
        plot
        for plot in rows
        if plot.area_ha and not any(i.get("severity") == "error" for i in plot.geometry_issues)
    ]


def _organic(lots) -> list[tuple[Lot, date]]:
    return [
        (lot, day)
        for lot, plot, day in lots
        if organic_status(plot.organic_conversion_start, day) == OrganicStatus.ORGANIC
    ]


def _coffee_lots(session: Session, cal: DemoCalendar, org_id: int, lots) -> None:
    organic = _organic(lots)
    first_half = [lot.code for lot, day in organic if day < cal.harvest(7, 1)]
    second_half = [lot.code for lot, day in organic if cal.harvest(7, 1) <= day < cal.harvest(9, 1)]
    merge = transformations.merge
    early = merge(session, org_id, None, [(c, None) for c in first_half], cal.harvest(7, 2))
    late = merge(session, org_id, None, [(c, None) for c in second_half], cal.harvest(9, 2))
    (early_lot,), (late_lot,) = _outputs(session, early), _outputs(session, late)
    demo_quality.cup_half_year_lots(session, cal, org_id, early_lot, late_lot)
    # Keep a little of the late lot back: partial consumption is the normal case.
    keep = (late_lot.quantity_kg * Decimal("0.1")).quantize(Decimal("1"))
    season = merge(
        session,
        org_id,
        None,
        [(early_lot.code, None), (late_lot.code, late_lot.quantity_kg - keep)],
        cal.harvest(9, 5),
        notes=f"Export lot, season {cal.harvest_year}",
    )
    (season_lot,) = _outputs(session, season)
    green_kg = (season_lot.quantity_kg * Decimal("0.78")).quantize(Decimal("0.001"))
    hulled = transformations.process(
        session, org_id, None, season_lot.code, None, "green", green_kg, cal.harvest(9, 10)
    )
    (green,) = _outputs(session, hulled)
    export_kg = (green.quantity_kg * Decimal("0.6")).quantize(Decimal("1"))
    split = transformations.split(
        session,
        org_id,
        None,
        green.code,
        [export_kg, green.quantity_kg - export_kg],
        cal.harvest(9, 12),
        notes="Hamburg contract / local market",
    )
    export_lot, local_lot = _outputs(session, split)
    transformations.take_sample(session, org_id, None, export_lot.code, None, cal.harvest(9, 13))
    demo_quality.cup_export_lots(session, cal, org_id, export_lot, local_lot)
    count = int(export_lot.available_kg // Decimal("69"))
    bags.create_bags(session, org_id, None, export_lot.code, min(count, 120))


def _pitahaya_lots(session: Session, cal: DemoCalendar, org_id: int, lots) -> None:
    organic = [lot.code for lot, _day in _organic(lots)][:12]
    merge = transformations.merge(
        session, org_id, None, [(c, None) for c in organic], cal.harvest(9, 30)
    )
    (lot,) = _outputs(session, merge)
    bags.create_bags(session, org_id, None, lot.code, int(lot.available_kg // Decimal("2.5")) // 2)
    demo_quality.grade_pitahaya(session, cal, org_id, lot)


def _outputs(session: Session, transformation) -> list[Lot]:
    return transformations.parts_of(session, transformation)[1]
