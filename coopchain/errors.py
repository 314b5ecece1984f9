"""Domain errors raised by services; views and the API turn them into 4xx responses."""


class DomainError(Exception):
    """A broken business rule. `fields` maps a field name to its messages, when one applies."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidGeometry(DomainError):
    code = "invalid_geometry"
