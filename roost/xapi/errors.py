"""Exceptions the X API client raises. Per-item problems (a user not found) are data, not exceptions."""

from __future__ import annotations


class XApiError(Exception):
    """Any failure to get an answer from the X API."""


class XApiUnavailable(XApiError):
    """The upstream could not be reached, or kept failing, within the retry bounds."""


class XApiRateLimited(XApiError):
    """Every token's budget for the endpoint is spent and the reset is further away than the caller will wait."""

    def __init__(self, endpoint: str, retry_at: float) -> None:
        super().__init__(f"rate limit for {endpoint} spent until {retry_at:.0f}")
        self.endpoint = endpoint
        self.retry_at = retry_at


class XApiRejected(XApiError):
    """The upstream refused the request itself (400, 401, 403, 404): retrying cannot help."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"X API answered {status}: {detail}")
        self.status = status
        self.detail = detail


class XApiPaused(XApiError):
    """X refused for a reason a retry cannot fix (a reached usage cap, spent credits), or Roost holds this kind of
    request back until it can succeed: `kind` is what is paused ("posts" or "all"), `reason` why ("cap",
    "credits"), `until` when it is expected to lift (None: until an operator resumes or a probe succeeds)."""

    def __init__(self, kind: str, reason: str, detail: str, until: float | None = None) -> None:
        super().__init__(f"X API requests paused ({kind}): {detail}")
        self.kind = kind
        self.reason = reason
        self.detail = detail
        self.until = until
