"""Helpers shared by the farm registry's modules: ledger snapshots that mask private fields,
and the LIKE pattern that searches use."""

from coopchain.ledger.services import changes

#: Never written to the ledger in clear: the ledger is exported to auditors.
PRIVATE_FIELDS = {"national_id", "phone", "cci"}


def _snapshot(row, field_names) -> dict:
    return {
        name: ("(private)" if name in PRIVATE_FIELDS and getattr(row, name) else getattr(row, name))
        for name in field_names
    }


def _masked_changes(before: dict, after: dict) -> dict:
    """changes() on the real values, so a new phone number is recorded as changed, unread."""
    return {
        name: {"before": "(private)", "after": "(private)"} if name in PRIVATE_FIELDS else change
        for name, change in changes(before, after).items()
    }


def like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
