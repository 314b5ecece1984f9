"""What the DDS API and staff pages share: choosing one part of a split statement."""

from flask_babel import gettext as _

from coopchain.errors import DomainError


def chosen_part(raw: str | None, count: int) -> int:
    """The part ?part= names (1 when there is one); a split shipment must name one."""
    if raw is None:
        if count > 1:
            raise DomainError(
                _(
                    "The package is split into %(n)s parts (EU limits per statement): download "
                    "each with ?part=1 … ?part=%(n)s.",
                    n=count,
                ),
                {"part": [_("Choose a part from 1 to %(n)s.", n=count)]},
            )
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= count:
        raise DomainError(
            _("There is no part %(part)s.", part=raw[:20]),
            {"part": [_("Choose a part from 1 to %(n)s.", n=count)]},
        )
    return int(raw)


def safe_name(reference: str) -> str:
    """A shipment reference as a file name part."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "-", reference).strip("-") or "shipment"
