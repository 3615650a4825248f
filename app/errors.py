"""Domain errors shared by every feature.

Services raise these; the web layer turns them into a specific message with the right status (htmx partial, full
page or application/problem+json) without each route repeating the mapping. Pure Python: no Flask here.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the business refused the request. Nothing was written."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def __str__(self) -> str:
        return self.message


class Invalid(DomainError):
    """The input is malformed or out of range (bad quantity, bad date, malformed code)."""

    status = 422
    code = "invalid"


class NotFound(DomainError):
    """The thing named does not exist (unknown code, SKU, tag)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request is well-formed but the current state forbids it (insufficient stock, already checked out)."""

    status = 409
    code = "conflict"


class Incomplete(Invalid):
    """A scan replayed from a phone's offline queue did not complete an action: the form still lacks something (no
    bin held, no item). Nothing was written; the person has to scan it again, so retrying the same form is pointless."""

    status = 422
    code = "incomplete"
    retryable = False


class AlreadyRecorded(DomainError):
    """The same client id was applied before; the first outcome stands and nothing new was written."""

    status = 200
    code = "already_recorded"

    def __init__(self, key: str, outcome: dict | None, recorded_at=None) -> None:
        super().__init__("Already recorded — this scan was applied before, nothing changed.", key=key)
        self.key = key
        self.outcome = outcome or {}
        self.recorded_at = recorded_at


class IdempotencyMismatch(DomainError):
    """The same idempotency key arrived with a different request."""

    status = 422
    code = "idempotency_mismatch"
