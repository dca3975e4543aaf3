"""Query-parameter parsing with X's validation rules and wordings.

X validates every parameter and reports all problems in one 400 (`errors` in the endpoint's declared parameter
order, `expansions` last, unknown parameters after them). Each problem's `parameters` echoes every value sent for
that parameter, a duplicated parameter is its own problem, and path parameters count as query parameters (so
`/2/users/1?id=2` is a duplicate). Tables are built once at import; the request path only does dict lookups.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from roost.xsim import config as ep
from roost.xsim.errors import InvalidRequest, Json, param_error
from roost.xsim.pagination import PageToken, TokenCodec

ID_PATTERN = "^[0-9]{1,19}$"
USERNAME_PATTERN = "^[A-Za-z0-9_]{1,15}$"
_ID_RE = re.compile(ID_PATTERN)
_USERNAME_RE = re.compile(USERNAME_PATTERN)

# Accepted values as X lists them in its 400s (sorted, except expansions, which keep X's declaration order).
# Supersets of the 2020 seed: edit_* fields, verified_type and media variants are what tweepy and twarc send.
TWEET_FIELDS = (  # noqa: SIM905
    "article attachments author_id card_uri community_id context_annotations conversation_id created_at "
    "display_text_range edit_controls edit_history_tweet_ids entities geo id in_reply_to_user_id lang "
    "media_metadata non_public_metrics note_tweet organic_metrics possibly_sensitive promoted_metrics "
    "public_metrics referenced_tweets reply_settings scopes source text withheld"
).split()
USER_FIELDS = (  # noqa: SIM905
    "affiliation connection_status created_at description entities id is_identity_verified location "
    "most_recent_tweet_id name parody pinned_tweet_id profile_banner_url profile_image_url protected "
    "public_metrics receives_your_dm subscription subscription_type url username verified "
    "verified_followers_count verified_type withheld"
).split()
MEDIA_FIELDS = (  # noqa: SIM905
    "alt_text duration_ms height media_key non_public_metrics organic_metrics preview_image_url "
    "promoted_metrics public_metrics type url variants width"
).split()
POLL_FIELDS = "duration_minutes end_datetime id options voting_status".split()  # noqa: SIM905
PLACE_FIELDS = "contained_within country country_code full_name geo id name place_type".split()  # noqa: SIM905
TWEET_EXPANSIONS = (  # noqa: SIM905
    "author_id referenced_tweets.id referenced_tweets.id.author_id entities.mentions.username "
    "attachments.poll_ids attachments.media_keys in_reply_to_user_id geo.place_id edit_history_tweet_ids"
).split()
USER_EXPANSIONS = "pinned_tweet_id most_recent_tweet_id affiliation.user_id".split()  # noqa: SIM905
EXCLUDE_VALUES = ("replies", "retweets")

MIN_RESULTS, MAX_RESULTS, DEFAULT_RESULTS = 5, 100, 10
MAX_LOOKUP = 100
# The timeline's floor for times: start 2010-11-06T00:00:00Z, end one second later (the seed's table).
MIN_START = 1289001600
MIN_END = MIN_START + 1

EXCLUDE_RETWEETS = 1
EXCLUDE_REPLIES = 2


@dataclass(slots=True)
class Query:
    """A validated request. Id and name lists keep the caller's spelling: error items echo values as sent."""

    ids: list[str] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    max_results: int = DEFAULT_RESULTS
    token: PageToken | None = None
    token_text: str = ""  # as sent, for error items
    since_id: int | None = None
    until_id: int | None = None
    start_time: int | None = None  # unix seconds; any fraction is dropped (second granularity)
    end_time: int | None = None
    exclude: int = 0  # EXCLUDE_* bits
    tweet_fields: frozenset[str] = frozenset()
    user_fields: frozenset[str] = frozenset()
    expansions: frozenset[str] = frozenset()


# ---- times ------------------------------------------------------------------------------------

# RFC 3339 with X's leniencies: seconds may be omitted (X itself echoes such values), a fraction is dropped.
_TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_time(text: str) -> int | None:
    """Unix seconds, or None when `text` is not an RFC 3339 date-time."""
    match = _TIME_RE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        when = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC)
    except ValueError:
        return None
    offset = 0
    if zone not in ("Z", "z"):
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 23 or zm > 59:
            return None
        offset = (1 if zone[0] == "+" else -1) * (zh * 3600 + zm * 60)
    return int(when.timestamp()) - offset


def java_time(seconds: int) -> str:
    """How X (a JVM service) prints an instant in messages: `2006-01-01T00:00Z`, seconds only when non-zero."""
    when = datetime.fromtimestamp(seconds, UTC)
    return when.strftime("%Y-%m-%dT%H:%MZ" if when.second == 0 else "%Y-%m-%dT%H:%M:%SZ")


# ---- validators: (name, values, query, errors) -> None ----------------------------------------

Validator = Callable[[str, list[str], Query, list[Json]], None]


def _fields(allowed: list[str], attr: str) -> Validator:
    """Comma-separated enum lists. Repeated items are accepted; each unknown item is its own problem."""
    allowed_set = frozenset(allowed)
    listing = ",".join(allowed)
    cache: dict[str, frozenset[str]] = {}

    def check(name: str, values: list[str], query: Query, errors: list[Json]) -> None:
        chosen: set[str] = set(getattr(query, attr)) if attr else set()
        for value in values:
            parsed = cache.get(value)
            if parsed is None:
                items = value.split(",")
                bad = [item for item in items if item not in allowed_set]
                for item in bad:
                    message = f"The `{name}` query parameter value [{item}] is not one of [{listing}]"
                    errors.append(param_error(name, values, message))
                if bad:
                    continue
                parsed = frozenset(items)
                if len(cache) < 4096:
                    cache[value] = parsed
            chosen |= parsed
        if attr:
            setattr(query, attr, frozenset(chosen))

    return check


def _lookup_list(attr: str, pattern_style: bool) -> Validator:
    """`ids` / `usernames`: 1 to 100 comma-separated values, each matching the pattern."""
    regex, pattern = (_ID_RE, ID_PATTERN) if attr == "ids" else (_USERNAME_RE, USERNAME_PATTERN)

    def check(name: str, values: list[str], query: Query, errors: list[Json]) -> None:
        value = values[-1]
        if value == "":
            errors.append(param_error(name, values, f"The `{name}` query parameter can not be empty"))
            return
        items = value.split(",")
        if len(items) > MAX_LOOKUP:
            message = (
                f"The number of values in the `{name}` query parameter list [{len(items)}] is not between 1 "
                f"and {MAX_LOOKUP}"
            )
            errors.append(param_error(name, values, message))
            return
        good = True
        for item in items:
            if not regex.match(item):
                good = False
                tail = f"does not match {pattern}" if pattern_style else "is not valid"
                errors.append(param_error(name, values, f"The `{name}` query parameter value [{item}] {tail}"))
        if good:
            setattr(query, attr, items)

    return check


def _single(attr: str, regex: re.Pattern[str], pattern: str) -> Validator:
    """Path ids and usernames, since_id, until_id."""

    def check(name: str, values: list[str], query: Query, errors: list[Json]) -> None:
        for value in values:
            if not regex.match(value):
                message = f"The `{name}` query parameter value [{value}] does not match {pattern}"
                errors.append(param_error(name, values, message))
                return
        if attr in ("ids", "usernames"):
            setattr(query, attr, [values[0]])
        else:
            setattr(query, attr, int(values[0]))

    return check


def _max_results(name: str, values: list[str], query: Query, errors: list[Json]) -> None:
    value = values[0]
    number = int(value) if value.isdigit() and len(value) < 10 else None
    if number is None:
        errors.append(param_error(name, values, f"The `{name}` query parameter value [{value}] is not valid"))
    elif not MIN_RESULTS <= number <= MAX_RESULTS:
        message = f"The `{name}` query parameter value [{value}] is not between {MIN_RESULTS} and {MAX_RESULTS}"
        errors.append(param_error(name, values, message))
    else:
        query.max_results = number


def _time(attr: str, floor: int) -> Validator:
    def check(name: str, values: list[str], query: Query, errors: list[Json]) -> None:
        value = values[0]
        seconds = parse_time(value)
        if seconds is None:
            errors.append(param_error(name, values, f"The `{name}` query parameter value [{value}] is not valid"))
        elif seconds < floor:
            # Recorded form (search's floor): "Invalid 'start_time':'2006-01-01T00:00Z'. 'start_time' must be
            # on or after 2006-03-21T00:00Z", with the value echoed in X's own format.
            shown = java_time(seconds)
            message = f"Invalid '{name}':'{shown}'. '{name}' must be on or after {java_time(floor)}"
            errors.append(param_error(name, [shown], message))
        else:
            setattr(query, attr, seconds)

    return check


def _exclude(name: str, values: list[str], query: Query, errors: list[Json]) -> None:
    bits = 0
    seen: set[str] = set()
    for item in values[0].split(","):
        if item not in EXCLUDE_VALUES:
            message = f"The `{name}` query parameter value [{item}] is not one of [{','.join(EXCLUDE_VALUES)}]"
            errors.append(param_error(name, values, message))
            return
        if item in seen:
            # No recorded wording; modelled on X's "Duplicate parameters are not allowed" message.
            message = f"Duplicate values are not allowed: the `{name}` query parameter value [{item}]"
            errors.append(param_error(name, values, message))
            return
        seen.add(item)
        bits |= EXCLUDE_RETWEETS if item == "retweets" else EXCLUDE_REPLIES
    query.exclude = bits


def _pagination_token(codec: TokenCodec) -> Validator:
    def check(name: str, values: list[str], query: Query, errors: list[Json]) -> None:
        token = codec.decode(values[0])
        if token is None:
            errors.append(param_error(name, values, f"The `{name}` query parameter value [{values[0]}] is not valid"))
        else:
            query.token = token
            query.token_text = values[0]

    return check


# ---- endpoint specs -----------------------------------------------------------------------------

_TWEET_FIELDS = _fields(TWEET_FIELDS, "tweet_fields")
_USER_FIELDS = _fields(USER_FIELDS, "user_fields")
_IGNORED_FIELDS: dict[str, Validator] = {
    "media.fields": _fields(MEDIA_FIELDS, ""),
    "poll.fields": _fields(POLL_FIELDS, ""),
    "place.fields": _fields(PLACE_FIELDS, ""),
}


@dataclass(frozen=True)
class Spec:
    """One endpoint's parameters in X's declared order (the order its messages list them)."""

    allowed: tuple[str, ...]
    validators: dict[str, Validator]
    path_param: str | None = None
    required: str | None = None

    @property
    def listing(self) -> str:
        return ",".join(self.allowed)


def _spec(allowed: str, validators: dict[str, Validator], path: str | None = None, required: str | None = None) -> Spec:
    names = tuple(allowed.split(","))
    ordered = {name: validators[name] for name in names if name != "expansions"}
    ordered["expansions"] = validators["expansions"]  # X checks expansions after every other parameter
    return Spec(names, ordered, path, required)


def build_specs(codec: TokenCodec) -> dict[str, Spec]:
    user_common: dict[str, Validator] = {
        "expansions": _fields(USER_EXPANSIONS, "expansions"),
        "tweet.fields": _TWEET_FIELDS,
        "post.fields": _TWEET_FIELDS,  # the post-era spelling of tweet.fields
        "user.fields": _USER_FIELDS,
    }
    tweet_common: dict[str, Validator] = {
        "expansions": _fields(TWEET_EXPANSIONS, "expansions"),
        "tweet.fields": _TWEET_FIELDS,
        "post.fields": _TWEET_FIELDS,
        "user.fields": _USER_FIELDS,
        **_IGNORED_FIELDS,
    }
    user_tail = "expansions,tweet.fields,post.fields,user.fields"
    tweet_tail = "expansions,tweet.fields,post.fields,media.fields,poll.fields,place.fields,user.fields"
    single_id = _single("ids", _ID_RE, ID_PATTERN)
    return {
        ep.USERS: _spec(f"ids,{user_tail}", {"ids": _lookup_list("ids", True), **user_common}, required="ids"),
        ep.USERS_BY: _spec(
            f"usernames,{user_tail}",
            {"usernames": _lookup_list("usernames", True), **user_common},
            required="usernames",
        ),
        ep.USER: _spec(f"id,{user_tail}", {"id": single_id, **user_common}, "id"),
        ep.USER_BY_USERNAME: _spec(
            f"username,{user_tail}",
            {"username": _single("usernames", _USERNAME_RE, USERNAME_PATTERN), **user_common},
            "username",
        ),
        # Parameter order as recorded in a 400 from this endpoint, with post.fields beside tweet.fields.
        ep.TIMELINE: _spec(
            "id,since_id,until_id,max_results,pagination_token,exclude,start_time,end_time," + tweet_tail,
            {
                "id": single_id,
                "since_id": _single("since_id", _ID_RE, ID_PATTERN),
                "until_id": _single("until_id", _ID_RE, ID_PATTERN),
                "max_results": _max_results,
                "pagination_token": _pagination_token(codec),
                "exclude": _exclude,
                "start_time": _time("start_time", MIN_START),
                "end_time": _time("end_time", MIN_END),
                **tweet_common,
            },
            "id",
        ),
        # Tweet lookup says "is not valid" for a malformed id (recorded); user lookups quote the pattern.
        ep.TWEETS: _spec(f"ids,{tweet_tail}", {"ids": _lookup_list("ids", False), **tweet_common}, required="ids"),
    }


def parse(spec: Spec, query_string: str, path_value: str | None = None) -> Query:
    """Validate a raw query string (plus the path parameter) against `spec`; raise InvalidRequest."""
    grouped: dict[str, list[str]] = {}
    if spec.path_param is not None and path_value is not None:
        grouped[spec.path_param] = [path_value]
    if query_string:
        for name, value in parse_qsl(query_string, keep_blank_values=True):
            grouped.setdefault(name, []).append(value)
    query = Query()
    errors: list[Json] = []
    if spec.required is not None and spec.required not in grouped:
        errors.append(param_error(spec.required, [], f"The `{spec.required}` query parameter can not be empty"))
    for name, validator in spec.validators.items():
        values = grouped.get(name)
        if values is None:
            continue
        validator(name, values, query, errors)
        if len(values) > 1:
            message = f"Duplicate parameters are not allowed: the `{name}` query parameter"
            errors.append(param_error(name, values, message))
    for name, values in grouped.items():
        if name not in spec.validators:
            errors.append(param_error(name, values, f"The query parameter [{name}] is not one of [{spec.listing}]"))
    if not errors:
        _cross_checks(grouped, query, errors)
    if errors:
        raise InvalidRequest(errors)
    return query


def _cross_checks(grouped: dict[str, list[str]], query: Query, errors: list[Json]) -> None:
    # No recorded wordings for these two; they follow X's "Invalid 'x':'v'. 'x' must be ..." time messages.
    if query.start_time is not None and query.end_time is not None and query.start_time >= query.end_time:
        start, end = java_time(query.start_time), java_time(query.end_time)
        errors.append(
            {
                "parameters": {"start_time": [start], "end_time": [end]},
                "message": f"Invalid 'start_time':'{start}'. 'start_time' must be before 'end_time':'{end}'",
            }
        )
    if query.since_id is not None and query.until_id is not None and query.since_id >= query.until_id:
        since, until = grouped["since_id"][0], grouped["until_id"][0]
        errors.append(
            {
                "parameters": {"since_id": [since], "until_id": [until]},
                "message": f"Invalid 'since_id':'{since}'. 'since_id' must be less than 'until_id':'{until}'",
            }
        )
