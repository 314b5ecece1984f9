"""The EUDR geolocation package of one shipment: its origin plots read from the database and
handed to the pure builder in eudr.py (DOMAIN.md §2).

Which plots: every plot any delivery in the shipped lots' ancestry came from (`origins_of_many`,
the same origins the certificate and the QR pages use), once each. The package is refused for
a shipment that is not coffee: pitahaya is outside the EUDR.
"""

from flask_babel import gettext as _
from sqlmodel import Session

from coopchain.certs.eudr import GREEN_COFFEE_HS, EudrPackage, EudrPlot, build_package
from coopchain.db import owned
from coopchain.errors import DomainError
from coopchain.farms.models import Crop, Plot
from coopchain.lots.origins import origins_of_many
from coopchain.shipments.models import Shipment
from coopchain.shipments.services import get_shipment, totals_of

#: SQLite's bound-parameter limit is 999 on old builds: plot ids are read in chunks.
_CHUNK = 900


class OutsideEudr(DomainError):
    """The shipment's crop is not an EUDR commodity (pitahaya, CN 0810 90 20)."""

    code = "outside_eudr"
    status = 422


def hs_code_of(shipment: Shipment) -> str:
    """Every form we export is unroasted, not decaffeinated coffee: HS 0901.11, the heading
    the EU lists for green coffee (DOMAIN.md §2)."""
    return GREEN_COFFEE_HS


def shipment_plots(
    session: Session,
    org_id: int,
    shipment: Shipment,
    lots,
    *,
    found: dict | None = None,
    producer_code: str | None = None,
) -> list[EudrPlot]:
    """One EudrPlot per distinct origin plot of `lots`, with what the feature needs; only the
    plots of `producer_code` when given (one producer's file reads only its plots). `found`:
    the lots' origins when the caller has them already (origins_of_many)."""
    if found is None:
        found = origins_of_many(session, org_id, lots)
    origins = {}
    for lot in lots:
        for origin in found[lot.id].origins:
            if producer_code is None or origin.producer_code == producer_code:
                origins.setdefault(origin.plot_id, origin)
    ids = sorted(origins)
    plots: list[Plot] = []
    for start in range(0, len(ids), _CHUNK):
        plots += session.scalars(
            owned(Plot, org_id).where(Plot.id.in_(ids[start : start + _CHUNK]))
        )
    return [
        EudrPlot(
            plot_id=plot.id,
            plot_name=plot.name,
            producer_code=origins[plot.id].producer_code,
            # The importer files the due diligence statement with the producer's name (§2):
            # this file goes to the buyer, not to a public page, so consent to *publish* the
            # name does not apply here.
            producer_name=origins[plot.id].producer_name,
            community=origins[plot.id].community,
            crop=plot.crop,
            geometry=plot.geometry,
            declared_area_ha=plot.declared_area_ha,
            area_ha=plot.area_ha,
            geometry_issues=list(plot.geometry_issues or []),
        )
        for plot in plots
    ]


def eudr_totals(session: Session, shipment: Shipment):
    """The shipment's totals when it has something to declare under the EUDR: OutsideEudr for
    pitahaya, DomainError for a shipment without bags. The GeoJSON package and the due
    diligence statement both start here."""
    if shipment.crop != Crop.COFFEE:
        # Pitahaya is not in scope (CN 0810 90 20): no EUDR data is demanded (DOMAIN.md §2).
        raise OutsideEudr(
            _(
                "Shipment %(reference)s is %(crop)s: %(crop)s is outside the EUDR, so it needs "
                "no geolocation package.",
                reference=shipment.reference,
                crop=_(shipment.crop),
            )
        )
    totals = totals_of(session, shipment)
    if not totals.bags:
        raise DomainError(
            _(
                "No bags are allocated to shipment %(reference)s: allocate bags before "
                "downloading its EUDR package.",
                reference=shipment.reference,
            )
        )
    return totals


def shipment_package(session: Session, org_id: int, reference: str) -> EudrPackage:
    """The package for shipment `reference`: Type II FeatureCollection(s) of its origin plots,
    its HS code and net weight. Raises OutsideEudr for pitahaya, DomainError for a shipment
    without bags, EudrInvalid listing every plot that is not EUDR-valid."""
    shipment = get_shipment(session, org_id, reference)
    totals = eudr_totals(session, shipment)
    lots = [line.lot for line in totals.lines]
    plots = shipment_plots(session, org_id, shipment, lots)
    return build_package(plots, hs_code=hs_code_of(shipment), net_kg=totals.net_kg)
