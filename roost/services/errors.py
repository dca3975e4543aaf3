"""What a use case can refuse, in terms every face can render: the API as a 4xx body, the dashboard as a message,
the CLI as one `Error: ...` line. `code` is stable (scripts match on it); `message` is a sentence for people."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class ServiceError(Exception):
    """A refusal the caller can act on. `status` is the HTTP status the API answers it with."""

    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details

    def with_code(self, code: str) -> ServiceError:
        """The same refusal under a more specific stable code (e.g. `user_not_found` for a 400)."""
        self.code = code
        return self


class Invalid(ServiceError):
    """Bad input: `field` names the parameter, the message says what is wrong with it."""

    def __init__(self, field: str, message: str, **details: Any) -> None:
        super().__init__("invalid_request", message, field=field, **details)


class NotFound(ServiceError):
    """No such thing for this caller: unknown and another account's look the same (never confirm existence)."""

    status = 404

    def __init__(self, what: str, *, message: str | None = None, **details: Any) -> None:
        super().__init__("not_found", message or f"No such {what}.", **details)
        self.what = what


def found(thing: T | None, what: str = "tracker") -> T:
    """`thing`, or NotFound when the store found none (unknown and another account's alike)."""
    if thing is None:
        raise NotFound(what)
    return thing


class Conflict(ServiceError):
    """The request clashes with what exists (a tag name taken, an active tracker of that account)."""

    status = 409


class Unauthorized(ServiceError):
    status = 401


class TooMany(ServiceError):
    """Throttled or out of balance; `retry_after` (seconds) when waiting helps."""

    status = 429

    def __init__(self, code: str, message: str, *, retry_after: int | None = None, **details: Any) -> None:
        super().__init__(code, message, **details)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    """X could not be reached after bounded retries; nothing was written."""

    status = 503
