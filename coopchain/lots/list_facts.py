"""What the lot list and the merge page show beside each lot: its organic status, how many
plots, producers and deliveries it comes from, and its cupping score, read for a page of lots
at once from the functions every other page uses (`origins_of_many`, `cupping_of`)."""

from dataclasses import dataclass

from sqlmodel import Session

from coopchain.lots.models import Lot
from coopchain.lots.origins import origins_of_many
from coopchain.quality.lot_quality import CuppingScore, cupping_of, measured_scores


@dataclass(frozen=True)
class LotFacts:
    organic_status: str
    downgraded: bool
    plots: int
    producers: int
    deliveries: int
    cupping: CuppingScore | None


def facts_of(session: Session, org_id: int, lots: list[Lot]) -> dict[int, LotFacts]:
    """{lot id: facts} for the lots of one page (voided lots included: they still came from
    somewhere)."""
    if not lots:
        return {}
    found = origins_of_many(session, org_id, lots)
    coffee = [lot for lot in lots if lot.crop == "coffee"]  # only coffee is cupped (DOMAIN.md §4)
    measured = measured_scores(session, org_id, [lot.id for lot in coffee])

    def score(lot: Lot) -> CuppingScore | None:
        if lot.crop != "coffee":
            return None
        if lot.id in measured:
            return measured[lot.id]
        # A delivery's lot has no inputs to inherit a score from; only the others may have one.
        return None if lot.delivery_id is not None else cupping_of(session, lot)

    return {
        lot.id: LotFacts(
            organic_status=found[lot.id].organic_status.value,
            downgraded=found[lot.id].downgraded,
            plots=found[lot.id].plot_count,
            producers=found[lot.id].producer_count,
            deliveries=len(found[lot.id].origins),
            cupping=score(lot),
        )
        for lot in lots
    }
