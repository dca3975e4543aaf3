"""X API v2 problem objects, shaped and worded like the real service's.

Two families, as on X: whole-request problems (400/401/403/404/429/503) that replace the body, and per-resource
error items (HTTP 200) that sit in an `errors` array beside any `data`. Wordings come from recorded real responses
in public client test suites; where none was found the message follows X's patterns (noted inline).
"""

from __future__ import annotations

from typing import Any

PROBLEMS = "https://api.twitter.com/2/problems/"
INVALID_REQUEST_TYPE = PROBLEMS + "invalid-request"
NOT_FOUND_TYPE = PROBLEMS + "resource-not-found"
NOT_AUTHORIZED_TYPE = PROBLEMS + "not-authorized-for-resource"
FIELD_NOT_AUTHORIZED_TYPE = PROBLEMS + "not-authorized-for-field"

Json = dict[str, Any]


class InvalidRequest(Exception):
    """Raised by parameter parsing; carries every problem found, as X reports them all at once."""

    def __init__(self, errors: list[Json]) -> None:
        super().__init__(f"{len(errors)} invalid parameter(s)")
        self.errors = errors

    def body(self) -> Json:
        return invalid_request(self.errors)


def param_error(name: str, values: list[str], message: str) -> Json:
    """One item of a 400's `errors`: `parameters` echoes every value sent for the parameter."""
    return {"parameters": {name: values}, "message": message}


def invalid_request(errors: list[Json]) -> Json:
    return {
        "errors": errors,
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID_REQUEST_TYPE,
    }


# Whole-request problems. Key order follows recorded responses.
UNAUTHORIZED: Json = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
TOO_MANY_REQUESTS: Json = {
    "title": "Too Many Requests",
    "detail": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
}
SERVICE_UNAVAILABLE: Json = {
    "title": "Service Unavailable",
    "detail": "Service Unavailable",
    "type": "about:blank",
    "status": 503,
}
# X answers an unknown path with the v1.1-era body and code 34 (recorded against /2 paths too).
ROUTE_NOT_FOUND: Json = {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}
UNSUPPORTED_AUTHENTICATION: Json = {
    "title": "Unsupported Authentication",
    "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
    "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
    "type": PROBLEMS + "unsupported-authentication",
    "status": 403,
}


def method_not_allowed(method: str) -> Json:
    """Not observed on X; shaped like its other about:blank problems."""
    return {
        "title": "Method Not Allowed",
        "detail": f"Method {method} is not allowed here",
        "type": "about:blank",
        "status": 405,
    }


# Per-resource items (HTTP 200). `parameter` is the query/path parameter the value came from.
def _resource_error(resource_type: str, value: str, parameter: str, *, title: str, detail: str, problem: str) -> Json:
    """One per-resource error item, with the keys of X's recorded items in their order."""
    return {
        "value": value,
        "detail": detail,
        "title": title,
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": problem,
    }


def _not_found(resource_type: str, value: str, parameter: str) -> Json:
    """`Could not find user with ids: [5].` -- the detail names the resource and the parameter, as X does."""
    detail = f"Could not find {resource_type} with {parameter}: [{value}]."
    return _resource_error(
        resource_type, value, parameter, title="Not Found Error", detail=detail, problem=NOT_FOUND_TYPE
    )


def _not_authorized(resource_type: str, noun: str, value: str, parameter: str) -> Json:
    """A protected resource; `noun` is how the detail names it (X writes "user" but "Tweet")."""
    detail = f"Sorry, you are not authorized to see the {noun} with {parameter}: [{value}]."
    return _resource_error(
        resource_type, value, parameter, title="Authorization Error", detail=detail, problem=NOT_AUTHORIZED_TYPE
    )


def user_not_found(value: str, parameter: str) -> Json:
    return _not_found("user", value, parameter)


def user_suspended(value: str, parameter: str) -> Json:
    """Suspended accounts share the not-found type but say Forbidden (recorded in public test suites)."""
    detail = f"User has been suspended: [{value}]."
    return _resource_error("user", value, parameter, title="Forbidden", detail=detail, problem=NOT_FOUND_TYPE)


def user_not_authorized(user_id: str) -> Json:
    """A protected account's timeline."""
    return _not_authorized("user", "user", user_id, "id")


def tweet_not_found(value: str, parameter: str) -> Json:
    return _not_found("tweet", value, parameter)


def tweet_not_authorized(value: str, parameter: str) -> Json:
    """A protected author's post asked for by id."""
    return _not_authorized("tweet", "Tweet", value, parameter)


def field_not_authorized(post_id: str, field: str, parameter: str) -> Json:
    """Private metrics asked for with an app-only bearer token: X drops the data and lists these (recorded)."""
    return {
        "resource_type": "tweet",
        "field": field,
        "parameter": parameter,
        "resource_id": post_id,
        "title": "Field Authorization Error",
        "section": "data",
        "detail": f"Sorry, you are not authorized to access '{field}' on the Tweet with {parameter} : [{post_id}].",
        "value": post_id,
        "type": FIELD_NOT_AUTHORIZED_TYPE,
    }


def admin_problem(status: int, title: str, detail: str) -> Json:
    """Problems of the emulator's own admin endpoints (not an X surface)."""
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


# Billing (spec/x-api.md, "Billing"). A reached post cap: recorded in a public issue of X's own SDK repository,
# answered 429 while x-rate-limit-remaining still shows quota.
def usage_capped(account_id: str) -> Json:
    return {
        "account_id": account_id,
        "product_name": "standard-basic",
        "title": "UsageCapExceeded",
        "period": "Monthly",
        "scope": "Product",
        "detail": "Usage cap exceeded: Monthly product cap",
        "type": PROBLEMS + "usage-capped",
    }


def credits_depleted(account_id: str) -> Json:
    """Exhausted pay-per-use credits, answered 402. Only the status and a body of about 185 bytes are on record;
    the fields follow the cap's problem above."""
    return {
        "account_id": account_id,
        "title": "CreditsDepleted",
        "detail": f"Your enrolled account [{account_id}] does not have any credits to fulfill this request.",
        "type": PROBLEMS + "credits",
    }
