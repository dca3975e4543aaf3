"""Client for X API v2: user lookups and user timelines, rate-limit aware."""

from roost.xapi.client import XClient
from roost.xapi.errors import XApiError, XApiPaused, XApiRateLimited, XApiRejected, XApiUnavailable
from roost.xapi.models import LookupProblem, LookupResult, XUser

__all__ = [
    "LookupProblem",
    "LookupResult",
    "XApiError",
    "XApiPaused",
    "XApiRateLimited",
    "XApiRejected",
    "XApiUnavailable",
    "XClient",
    "XUser",
]
