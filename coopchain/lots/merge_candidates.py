"""The lots the merge form offers: those picked that exist in the organisation, then available
lots that could join them (transformations.merge is what merges them).
"""

from dataclasses import dataclass

from sqlmodel import Session

from coopchain.errors import NotFound
from coopchain.lots import services
from coopchain.lots.models import Lot, LotStatus, ProductForm

#: Candidate lots listed on the merge form (narrow them with the code search).
MERGE_CANDIDATES = 200
FORMS = {form.value for form in ProductForm}


@dataclass(frozen=True)
class MergeCandidates:
    #: The picked lots that exist in the organisation, in the order picked.
    chosen: list[Lot]
    #: The first chosen lot's form, else the one asked for; None when neither is a known form.
    product_form: str | None
    #: The chosen lots first, then available lots of the same crop and form.
    rows: list[Lot]
    #: Candidates found beyond the MERGE_CANDIDATES listed.
    more: int

    @property
    def mixed(self) -> bool:
        """Lots of different crops or forms, which a merge refuses."""
        return len({(lot.crop, lot.product_form) for lot in self.chosen}) > 1


def _existing_lots(session: Session, org_id: int, codes: list[str]) -> list[Lot]:
    """The organisation's lots with these codes; another organisation's code is not found."""
    found = []
    for code in codes:
        try:
            found.append(services.get_lot(session, org_id, code))
        except NotFound:
            continue
    return found


def merge_candidates(
    session: Session, org_id: int, codes: list[str], product_form: str | None, q: str
) -> MergeCandidates:
    """What the merge form lists for the lots picked (`codes`), the form asked for before any
    lot is picked, and the code search `q`."""
    chosen = _existing_lots(session, org_id, codes)
    form = chosen[0].product_form if chosen else product_form or None
    form = form if form in FORMS else None
    crop = chosen[0].crop if chosen else None
    candidates, total = [], 0
    if form:
        candidates, total = services.list_lots(
            session,
            org_id,
            q=q or None,
            product_form=form,
            status=LotStatus.AVAILABLE,
            per_page=MERGE_CANDIDATES,
        )
    picked = {lot.code for lot in chosen}
    rows = chosen + [
        lot for lot in candidates if lot.code not in picked and (crop is None or lot.crop == crop)
    ]
    return MergeCandidates(chosen, form, rows, max(0, total - len(candidates)))
