"""Domain errors of the lots package (DESIGN.md §3 names them)."""

from coopchain.errors import DomainError


class InsufficientQuantity(DomainError):
    code = "insufficient_quantity"
    status = 409


class CommingledOrganic(DomainError):
    """Organic product mixed with in-conversion or conventional product (DOMAIN.md §3)."""

    code = "commingled_organic"


class ImplausibleYield(DomainError):
    """A processing yield outside the step's range; repeat with confirm_yield to accept it."""

    code = "implausible_yield"
