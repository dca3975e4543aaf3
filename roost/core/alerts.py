"""Alert rules and their evaluation: pure functions, no I/O (the collector's hook feeds them, services store them).

A rule is a condition on one subject (an X user; a post for engagement rules). It **fires on the transition**
from false to true and **re-arms** when the condition is false again, so a condition that holds for a week is one
alert (`step`). A verdict of None ("cannot tell yet") leaves the state as it was.

Glitched values never fire. Besides the collapse-and-recover reads `analytics.flag_glitches` finds afterwards, a
collapse at the end of the series that may still recover (below half the last good value, less than
`GLITCH_MAX_SECONDS` old) is not judged yet: the series is cut before it (`settled`). If it recovers it was a
glitch and is left out for good; if it does not, it is real and is judged once it is 12 hours old.

Kinds and their conditions:

- `change`: the change of a count over a window (the one change rule, roost.core.change) is at least `amount`
  (or at most, for a negative amount), absolute or in percent of the start value;
- `threshold`: the latest good value is at or above `value` (`direction` "above") or below it ("below"). A
  threshold already crossed when a rule first looks does not fire (nothing was crossed);
- `unusual`: the latest hourly (or daily) change is far from the account's own changes of the last 30 days.
  "Far" is a robust z-score: |x - median| / scale >= `z` (default 5), scale = 1.4826 x the median absolute
  deviation (or 1.2533 x the mean absolute deviation when that is 0, and never below 1 follower), over at least
  72 hourly or 14 daily changes; with less history it cannot tell. Once fired it re-arms when the change is back
  under half that z (hysteresis: a change hovering at the edge is one alert, not one an hour);
- `engagement`: a post's engagement (likes + reposts + replies + quotes) reaches `value`, or `multiple` x the
  median engagement of the account's recent posts (at least 5 of them);
- `state`: the X account is suspended, protected or not found (each clears when it is back), or was renamed
  (fires once per rename: old and new name);
- `stale`: no snapshot of the account for `hours` hours;
- `budget`: the billing month's X spend passes `share` % of the monthly budget (`limit` "budget"), or its charged
  post reads pass `share` % of the post cap ("cap"). Installation-wide (the whole X bill, as the operators see
  it); it fires once per billing month, on the transition, and re-arms when a new billing month starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any, Literal, get_args

from roost.core import analytics
from roost.core.analytics import METRICS, Metric, Series
from roost.core.change import change_over

RuleKind = Literal["change", "threshold", "unusual", "engagement", "state", "stale", "budget"]
RULE_KINDS: tuple[RuleKind, ...] = get_args(RuleKind)
Direction = Literal["above", "below"]
Granularity = Literal["hour", "day"]
Limit = Literal["budget", "cap"]
XState = Literal["suspended", "protected", "not_found", "renamed"]
X_STATES: tuple[XState, ...] = get_args(XState)
HOUR = 3600
DAY = 86400
HISTORY = 30 * DAY  # the account's own history that "unusual" compares with
MIN_HOURLY, MIN_DAILY = 72, 14  # fewest past changes "unusual" judges from
MIN_POSTS = 5  # fewest recent posts a median engagement is taken over
MAX_WINDOW = 90 * DAY


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's kind and parameters (stored as JSON by `params`; read back by `from_params`)."""

    kind: RuleKind
    metric: Metric = "followers"
    amount: float | None = None  # change: +5 (%), -1000
    percent: bool = False
    window: int = DAY  # change: seconds
    value: float | None = None  # threshold / engagement: the level
    direction: Direction = "above"
    z: float = 5.0  # unusual
    granularity: Granularity = "hour"  # unusual
    multiple: float | None = None  # engagement: x the median
    states: tuple[XState, ...] = X_STATES  # state
    hours: float = 6.0  # stale
    share: float = 80.0  # budget: percent of the limit
    limit: Limit = "budget"  # budget: the dollar budget or the post cap

    def params(self) -> dict[str, Any]:
        data: dict[str, Any] = {"metric": self.metric}
        match self.kind:
            case "change":
                data |= {"amount": self.amount, "percent": self.percent, "window": self.window}
            case "threshold":
                data |= {"value": self.value, "direction": self.direction}
            case "unusual":
                data |= {"z": self.z, "granularity": self.granularity}
            case "engagement":
                data = {"value": self.value, "multiple": self.multiple}
            case "state":
                data = {"states": list(self.states)}
            case "stale":
                data = {"hours": self.hours}
            case "budget":
                data = {"share": self.share, "limit": self.limit}
        return data

    @classmethod
    def from_params(cls, kind: str, params: Mapping[str, Any]) -> Rule:
        """The rule these parameters describe; ValueError naming the field at fault."""
        if kind not in RULE_KINDS:
            raise RuleError("kind", f"kind must be one of {', '.join(RULE_KINDS)}")
        args: dict[str, Any] = dict(params)
        if "states" in args:
            args["states"] = tuple(args["states"])
        try:
            rule = cls(kind=kind, **args)
        except TypeError as exc:
            raise RuleError("params", f"unknown parameter for a {kind} rule: {exc}") from None
        rule.validate()
        return rule

    def validate(self) -> None:
        if self.metric not in METRICS:
            raise RuleError("metric", f"metric must be one of {', '.join(METRICS)}")
        if self.kind == "change":
            if self.amount is None or self.amount == 0:
                raise RuleError("change", "a change rule needs a non-zero change, e.g. 5% or -1000")
            if not HOUR <= self.window <= MAX_WINDOW:
                raise RuleError("window", "the window must be between 1 hour and 90 days")
        bad_direction = self.direction not in ("above", "below")
        if self.kind == "threshold" and (self.value is None or self.value < 0 or bad_direction):
            raise RuleError("threshold", "a threshold rule needs a value >= 0 and a direction (above or below)")
        if self.kind == "unusual" and (not 2 <= self.z <= 50 or self.granularity not in ("hour", "day")):
            raise RuleError("z", "an unusual-movement rule needs z between 2 and 50 and a granularity (hour or day)")
        if self.kind == "engagement" and (self.value is None) == (self.multiple is None):
            raise RuleError("engagement", "an engagement rule needs either a value or a multiple of the median")
        if self.kind == "engagement" and ((self.value or 1) <= 0 or (self.multiple or 2) <= 1):
            raise RuleError("engagement", "the engagement value must be positive and the multiple above 1")
        if self.kind == "state" and (not self.states or any(s not in X_STATES for s in self.states)):
            raise RuleError("states", f"states must be some of {', '.join(X_STATES)}")
        if self.kind == "stale" and not 1 <= self.hours <= 24 * 30:
            raise RuleError("hours", "hours must be between 1 and 720")
        if self.kind == "budget" and not 1 <= self.share <= 100:
            raise RuleError("share", "share must be a percentage between 1 and 100, e.g. 80%")
        if self.kind == "budget" and self.limit not in ("budget", "cap"):
            raise RuleError("limit", "limit must be budget (the monthly dollar budget) or cap (the post cap)")


class RuleError(ValueError):
    """A rule that cannot be; `field` names the parameter at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the condition holds (None: cannot tell yet), and what was seen, for the alert's text and payload."""

    holds: bool | None
    summary: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


UNKNOWN = Verdict(None)


def step(firing: bool, verdict: Verdict) -> tuple[bool, bool]:
    """(fire now, firing afterwards): fire on the transition to true, re-arm when false, keep on None."""
    if verdict.holds is None:
        return False, firing
    return verdict.holds and not firing, verdict.holds


# --- series rules ----------------------------------------------------------------------------------------------


def settled(series: Series, metric: Metric, now: int) -> tuple[list[int], list[int]]:
    """The metric's (buckets, values) without glitched values and without a trailing collapse that may still
    recover (see the module docstring)."""
    glitched = {g.bucket for g in analytics.flag_glitches(series) if g.metric == metric}
    good = [(b, v) for b, v in zip(series.buckets, series.values[metric], strict=True) if b not in glitched]
    # The newest values that all lie below (1 - GLITCH_DROP) of the good value before them, while that value is
    # younger than GLITCH_MAX_SECONDS, are a collapse that may still recover: cut before the earliest such run.
    cut, tail_max = len(good), float("-inf")
    for i in range(len(good) - 1, 0, -1):
        tail_max = max(tail_max, good[i][1])
        base_bucket, base = good[i - 1]
        if base_bucket + analytics.GLITCH_MAX_SECONDS < now:
            break
        if base >= analytics.GLITCH_MIN_BASE and tail_max < base * (1 - analytics.GLITCH_DROP):
            cut = i
    good = good[:cut]
    return [b for b, _ in good], [v for _, v in good]


def _fmt(n: float) -> str:
    return f"{n:+,.0f}" if float(n).is_integer() else f"{n:+,.1f}"


def evaluate_series(rule: Rule, series: Series, now: int, *, firing: bool = False) -> Verdict:
    """A change, threshold or unusual-movement rule over one account's snapshots (oldest first). `firing`: the
    rule has fired and not re-armed (unusual movement re-arms only below half its z: no flapping at the edge)."""
    buckets, values = settled(series, rule.metric, now)
    if not buckets:
        return UNKNOWN
    m = rule.metric
    if rule.kind == "change":
        assert rule.amount is not None
        ch = change_over(buckets, values, start=buckets[-1] - rule.window, end=buckets[-1])
        if ch is None or ch.began_later or ch.start_bucket == ch.end_bucket:
            return UNKNOWN  # less history than the window: a change "over 24 h" cannot be measured yet
        moved = ch.percent if rule.percent else float(ch.absolute)
        if moved is None:
            return UNKNOWN
        holds = moved >= rule.amount if rule.amount > 0 else moved <= rule.amount
        unit = "%" if rule.percent else ""
        summary = f"{m} {_fmt(moved)}{unit} in {_span(rule.window)} ({ch.start_value:,} -> {ch.end_value:,})"
        detail = {"metric": m, "from": ch.start_value, "to": ch.end_value, "change": ch.absolute,
                  "percent": ch.percent, "since": ch.start_bucket, "until": ch.end_bucket}  # fmt: skip
        return Verdict(holds, summary, detail)
    if rule.kind == "threshold":
        assert rule.value is not None
        latest = values[-1]
        holds = latest >= rule.value if rule.direction == "above" else latest < rule.value
        word = "reached" if rule.direction == "above" else "fell under"
        summary = f"{m} {word} {rule.value:,.0f} ({latest:,})"
        return Verdict(holds, summary, {"metric": m, "value": latest, "threshold": rule.value})
    if rule.kind == "unusual":
        return _unusual(rule, buckets, values, firing)
    raise ValueError(f"{rule.kind} is not a series rule")


def threshold_was(rule: Rule, series: Series, now: int) -> bool:
    """Whether a threshold rule's condition already held before the newest value (a rule's first look: a level
    already passed is no crossing)."""
    _, values = settled(series, rule.metric, now)
    before = values[-2] if len(values) > 1 else (values[-1] if values else None)
    if before is None or rule.value is None:
        return False
    return before >= rule.value if rule.direction == "above" else before < rule.value


def _span(seconds: int) -> str:
    return f"{seconds // DAY} d" if seconds % DAY == 0 else f"{seconds // HOUR} h"


def robust_z(x: float, history: Sequence[float]) -> float:
    """How far x lies from the history: |x - median| / scale (see the module docstring for the scale)."""
    mid = median(history)
    deviations = [abs(h - mid) for h in history]
    scale = 1.4826 * median(deviations)
    if scale == 0:
        scale = 1.2533 * sum(deviations) / len(deviations)
    return abs(x - mid) / max(scale, 1.0)


def _unusual(rule: Rule, buckets: list[int], values: list[int], firing: bool) -> Verdict:
    latest = buckets[-1]
    if rule.granularity == "hour":
        changes: list[tuple[int, float]] = [
            (buckets[k], float(values[k] - values[k - 1]))
            for k in range(1, len(buckets))
            if buckets[k] - buckets[k - 1] <= 2 * HOUR and buckets[k] > latest - HISTORY
        ]
        least = MIN_HOURLY
    else:
        changes = []
        for j in range(0, 31):
            end = latest - j * DAY
            ch = change_over(buckets, values, start=end - DAY, end=end)
            if ch is None or ch.began_later or ch.end_bucket < end - 2 * HOUR:
                continue
            changes.append((end, float(ch.absolute)))
        changes.reverse()
        least = MIN_DAILY
    if not changes or changes[-1][0] != latest or len(changes) - 1 < least:
        return UNKNOWN
    x = changes[-1][1]
    history = [c for _, c in changes[:-1]]
    z = robust_z(x, history)
    per = "hour" if rule.granularity == "hour" else "day"
    summary = f"{rule.metric} {_fmt(x)} in an {per}" if per == "hour" else f"{rule.metric} {_fmt(x)} in a day"
    summary += f", usually {_fmt(median(history))} (robust z {z:.1f})"
    detail = {"metric": rule.metric, "change": x, "median": median(history), "z": round(z, 2), "samples": len(history)}
    return Verdict(z >= (rule.z / 2 if firing else rule.z), summary, detail)


# --- other kinds ----------------------------------------------------------------------------------------------------


def evaluate_state(rule: Rule, state: str) -> Verdict:
    """A state rule's suspended / protected / not-found conditions: holds while the account is in a watched state."""
    watched = [s for s in rule.states if s != "renamed"]
    if not watched:
        return UNKNOWN
    holds = state in watched
    words = {"suspended": "is suspended", "protected": "turned protected", "not_found": "was not found"}
    return Verdict(holds, words.get(state, "is back"), {"state": state})


def evaluate_stale(rule: Rule, last_bucket: int | None, now: int) -> Verdict:
    if last_bucket is None:
        return UNKNOWN
    age = now - last_bucket
    hours = age / HOUR
    return Verdict(age >= rule.hours * HOUR, f"no snapshot for {hours:.0f} hours", {"hours": round(hours, 1)})


def evaluate_budget(rule: Rule, used: float, limit: float | None) -> Verdict:
    """A budget rule: the month's spend (dollars) or post reads against the budget or the cap (None: not set)."""
    if limit is None or limit <= 0:
        return UNKNOWN
    share = 100.0 * used / limit
    if rule.limit == "budget":
        what, of = f"X spend ${used:,.2f}", f"the ${limit:,.2f} budget"
    else:
        what, of = f"post reads {used:,.0f}", f"the {limit:,.0f} post cap"
    summary = f"the month's {what} passed {rule.share:g}% of {of} ({share:.0f}%)"
    detail = {"limit": rule.limit, "used": used, "of": limit, "share": round(share, 2), "threshold": rule.share}
    return Verdict(share >= rule.share, summary, detail)


def engagement_of(metrics: Mapping[str, Any]) -> int:
    """Likes + reposts + replies + quotes of a post's public metrics."""
    keys = ("like_count", "retweet_count", "reply_count", "quote_count")
    return sum(int(metrics.get(k) or 0) for k in keys)


def evaluate_engagement(rule: Rule, engagement: int, recent: Sequence[int]) -> Verdict:
    """A post's engagement against a level, or a multiple of the median of the account's recent posts."""
    if rule.value is not None:
        level = rule.value
        summary = f"a post reached {engagement:,} engagements (threshold {level:,.0f})"
    else:
        if len(recent) < MIN_POSTS:
            return UNKNOWN
        assert rule.multiple is not None
        mid = median(recent)
        level = max(1.0, rule.multiple * mid)
        summary = f"a post reached {engagement:,} engagements, {engagement / max(mid, 1):.1f}x the median {mid:,.0f}"
    return Verdict(engagement >= level, summary, {"engagement": engagement, "level": level})


# --- parsing and wording (shared by the API, the CLI and the dashboard) --------------------------------------------


def parse_change(text: str) -> tuple[float, bool]:
    """ "5%" -> (5.0, True), "-1000" or "-1,000" -> (-1000.0, False); RuleError naming `change` otherwise."""
    raw = text.strip().replace(",", "").replace("_", "")
    percent = raw.endswith("%")
    try:
        amount = float(raw.rstrip("%").strip())
    except ValueError:
        raise RuleError(
            "change", f"change must be a number or a percentage such as 5% or -1000, not {text!r}"
        ) from None
    if amount == 0 or amount != amount or abs(amount) > 1e12:
        raise RuleError("change", "change must be a non-zero number such as 5% or -1000")
    return amount, percent


def parse_share(text: str) -> float:
    """ "80%" or "80" -> 80.0; RuleError naming `share` otherwise."""
    try:
        share = float(str(text).strip().rstrip("%").strip())
    except ValueError:
        raise RuleError("share", f"share must be a percentage such as 80%, not {text!r}") from None
    if not 1 <= share <= 100:
        raise RuleError("share", "share must be a percentage between 1 and 100, e.g. 80%")
    return share


def parse_window(text: str) -> int:
    """ "24h" -> 86400, "7d" -> 604800, "90m" -> 5400; RuleError naming `window` otherwise."""
    raw = text.strip().lower()
    units = {"m": 60, "h": HOUR, "d": DAY, "w": 7 * DAY}
    if len(raw) < 2 or raw[-1] not in units or not raw[:-1].isdigit():
        raise RuleError("window", f"window must look like 24h, 7d or 2w, not {text!r}")
    seconds = int(raw[:-1]) * units[raw[-1]]
    if not HOUR <= seconds <= MAX_WINDOW:
        raise RuleError("window", "the window must be between 1 hour and 90 days")
    return seconds


def describe(rule: Rule) -> str:
    """The rule in a few words, as lists show it."""
    m = rule.metric
    match rule.kind:
        case "change":
            assert rule.amount is not None
            return f"{m} {_fmt(rule.amount)}{'%' if rule.percent else ''} in {_span(rule.window)}"
        case "threshold":
            assert rule.value is not None
            return f"{m} {'reach' if rule.direction == 'above' else 'fall under'} {rule.value:,.0f}"
        case "unusual":
            return f"{m}: unusual {'hourly' if rule.granularity == 'hour' else 'daily'} change (robust z >= {rule.z:g})"
        case "engagement":
            if rule.value is not None:
                return f"a post reaches {rule.value:,.0f} engagements"
            return f"a post reaches {rule.multiple:g}x the median engagement"
        case "state":
            return "account " + ", ".join(s.replace("_", " ") for s in rule.states)
        case "budget":
            return f"the X {'budget' if rule.limit == 'budget' else 'post cap'} passes {rule.share:g}%"
        case _:
            return f"no snapshot for {rule.hours:g} hours"
