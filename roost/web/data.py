"""What the dashboard pages show, shaped from the services' results (no HTML and no queries here)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from roost.core import analytics, domain
from roost.services.tracker_views import Summary
from roost.store.trackers import Tracker, TrackerView

PRESETS = ("today", "yesterday", "7d", "30d", "90d", "365d")
SPARK_DAYS = 7


class InputError(ValueError):
    """Bad dashboard input; `field` names the form field, the message is shown to the user."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TrackerRow:
    view: TrackerView
    deltas: dict[str, dict[analytics.Metric, int | None]]  # window -> metric -> change
    complete: dict[str, bool]  # window -> whether the history covers it (else `gap` says why not)
    gap: dict[str, str]  # window -> "too new" (tracking began inside it) or "no data" (no snapshot inside it)
    spark: str  # SVG polyline points of the last week's followers, "" without data
    age: int  # seconds of history: from the tracker's first snapshot to its newest (or to now)


@dataclass(frozen=True)
class RangeChoice:
    preset: str  # one of PRESETS or "custom"
    start: int
    end: int
    tz: ZoneInfo
    start_day: str  # yyyy-mm-dd in tz, for the custom form
    end_day: str


def sparkline(values: list[int], width: int = 120, height: int = 28) -> str:
    """Points for an SVG polyline of `values` (at most ~60 of them, evenly picked)."""
    if len(values) < 2:
        return ""
    step = max(1, len(values) // 60)
    picked = values[::step] + ([values[-1]] if (len(values) - 1) % step else [])
    lo, hi = min(picked), max(picked)
    span = (hi - lo) or 1
    last = len(picked) - 1
    return " ".join(
        f"{k * width / last:.1f},{height - 2 - (v - lo) * (height - 4) / span:.1f}" for k, v in enumerate(picked)
    )


def tracker_row(summary: Summary) -> TrackerRow:
    """A tracker with its deltas by window and a sparkline of its last week's followers (glitches left out)."""
    glitched = {(g.bucket, g.metric) for g in summary.glitches}
    week = [p for p in summary.recent if p.bucket >= summary.end - SPARK_DAYS * analytics.DAY]
    clean = [p.followers for p in week if (p.bucket, "followers") not in glitched]
    deltas = {d.window: dict(d.changes) for d in summary.deltas}
    complete = {d.window: d.complete for d in summary.deltas}
    age = summary.end - summary.view.tracker.created_at
    return TrackerRow(
        view=summary.view,
        deltas=deltas,
        complete=complete,
        gap={
            d.window: "no data" if age >= d.seconds and all(v is None for v in d.changes.values()) else "too new"
            for d in summary.deltas
        },
        spark=sparkline(clean or [p.followers for p in week]),
        age=age,
    )


FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 11, 28)  # the days every time zone and period can hold


def _day(text: str, field: str, tz: ZoneInfo) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(field, f"{field}: '{text[:20]}' is not a date (use YYYY-MM-DD).") from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(field, f"{field}: pick a day between {FIRST_DAY} and {LAST_DAY}.")
    return datetime.combine(day, datetime.min.time(), tz)


def resolve_range(
    *, preset: str | None, start: str | None, end: str | None, tz_name: str | None, now: int
) -> RangeChoice:
    """The range a page asked for: a preset, or custom `start`/`end` days (inclusive) in the zone."""
    try:
        tz = analytics.parse_tz(tz_name)
    except ValueError as exc:
        raise InputError("tz", f"Time zone: {exc}.") from exc
    if start or end or preset == "custom":
        if not start or not end:
            raise InputError("start" if not start else "end", "A custom range needs both a start and an end day.")
        first, last = _day(start, "start", tz), _day(end, "end", tz)
        if first > last:
            raise InputError("start", "The start day must not be after the end day.")
        if (last - first).days > 3 * 366:
            raise InputError("end", "A custom range can be at most three years long.")
        s = int(first.timestamp())
        e = analytics.period_bounds(int(last.timestamp()), "day", tz)[1] - 1
        name = "custom"
    else:
        name = preset or "7d"
        if name not in PRESETS:
            raise InputError("range", f"Unknown range '{name[:20]}'; pick one of {', '.join(PRESETS)}.")
        s, e = analytics.range_preset(name, now, tz)
    return RangeChoice(
        preset=name,
        start=s,
        end=e,
        tz=tz,
        start_day=datetime.fromtimestamp(s, tz).date().isoformat(),
        end_day=datetime.fromtimestamp(e, tz).date().isoformat(),
    )


def auto_interval(start: int, end: int) -> analytics.Interval:
    """A period length that gives a readable table: hours up to two days, days up to three months, then weeks."""
    span = end - start
    if span <= 2 * analytics.DAY:
        return "hour"
    if span <= 92 * analytics.DAY:
        return "day"
    return "week"


def chart_payload(points: list[domain.Snapshot], glitches: list[analytics.Glitch]) -> dict[str, Any]:
    """Column arrays for uPlot; glitched values become null (a gap), so the chart shows no false cliff."""
    bad = {(g.bucket, g.metric) for g in glitches}
    out: dict[str, Any] = {"t": [p.bucket for p in points]}
    for m in analytics.METRICS:
        out[m] = [None if (p.bucket, m) in bad else getattr(p, m) for p in points]
    return out


# --- readable labels and trimmed rows ------------------------------------------------------------------------------

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def period_label(start: int, interval: analytics.Interval, tz: ZoneInfo) -> str:
    """A period as a person reads it: "Mon 30 Nov, 11:00", "Mon 30 Nov 2026", "Week of 30 Nov 2026", "Nov 2026"."""
    local = datetime.fromtimestamp(start, tz)
    if interval == "hour":
        return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
    if interval == "day":
        return f"{local:%a} {local.day} {local:%b %Y}"
    if interval == "week":
        return f"Week of {local.day} {local:%b %Y}"
    return f"{local:%B %Y}"


def day_label(t: int | None, tz: ZoneInfo) -> str:
    """The day of a moment as "30 Nov 2026" in the zone."""
    if t is None:
        return "–"
    local = datetime.fromtimestamp(t, tz)
    return f"{local.day} {local:%b %Y}"


def when_label(t: int | None, tz: ZoneInfo, *, with_year: bool = True) -> str:
    """A moment as "30 Nov 2026, 11:00" in the zone."""
    if t is None:
        return "–"
    local = datetime.fromtimestamp(t, tz)
    return f"{local.day} {local:%b %Y}, {local:%H:%M}" if with_year else f"{local.day} {local:%b}, {local:%H:%M}"


def count(n: int | None, noun: str, plural: str | None = None) -> str:
    """ "1 post", "2 posts", "1,204 posts"; `plural` for nouns not made with an s ("1 reply", "2 replies")."""
    n = n or 0
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {plural or noun + 's'}"


def ago(seconds: int) -> str:
    """A duration as "5 min", "3 h", "12 days"."""
    if seconds < 3600:
        return f"{max(0, seconds) // 60} min"
    if seconds < 2 * analytics.DAY:
        return f"{seconds // 3600} h"
    return f"{seconds // analytics.DAY} days"


def with_data(rows: list[analytics.Row]) -> list[analytics.Row]:
    """The rows from the first to the last period holding a snapshot (a young tracker's 1-year view is not 46
    empty weeks); empty periods between them stay, so gaps in collection show."""
    kept = [k for k, r in enumerate(rows) if r.snapshots]
    return rows[kept[0] : kept[-1] + 1] if kept else []


@dataclass(frozen=True)
class AddResult:
    """One token of the add box and what became of it."""

    alias: str
    ok: bool
    message: str


ITEM_SEPARATORS = re.compile(r"[,;\n]+")


def _valid(token: str) -> bool:
    try:
        domain.normalize_alias(token)
    except domain.AliasError:
        return False
    return True


def alias_tokens(text: str) -> list[str]:
    """The add box's names, each kept whole: separated by commas, semicolons or new lines. A text with none of
    those may also separate names by spaces, but only when every word is a screen name: `bad name!` stays one item
    (so it is refused and pointed out), never tracked as `@bad`. Spaces inside a comma-separated item are kept, so
    that item is refused with the reason."""
    items = [t.strip() for t in ITEM_SEPARATORS.split(text) if t.strip()]
    if len(items) == 1 and not ITEM_SEPARATORS.search(text.strip()):
        words = items[0].split()
        if len(words) > 1 and all(_valid(w) for w in words):
            return words
    return items


def invalid_tokens(tokens: list[str]) -> list[AddResult]:
    """The tokens that are not X screen names, each with the reason (`name!!` is never tracked as @name); a space
    inside one item is pointed out as a split that looks unintended."""
    bad: list[AddResult] = []
    for token in tokens:
        words = token.split()
        if len(words) > 1:
            hint = (
                "has a space inside: names are separated by commas, so this was read as one name"
                + (
                    f" (did you mean {', '.join('@' + w.lstrip('@') for w in words)}?)"
                    if all(map(_valid, words))
                    else ""
                )
                + "; not added"
            )
            bad.append(AddResult(token, False, hint))
            continue
        try:
            domain.normalize_alias(token)
        except domain.AliasError as exc:
            bad.append(AddResult(token, False, str(exc).replace(f"'{token}' is ", "") + "; not added"))
    return bad


# --- CSV: the date first, glitches flagged (dashboard exports only) -------------------------------------------------

GLITCH_COLUMN = "glitched"


def dated(header: list[str], tz: ZoneInfo, *, flagged: bool = False) -> list[str]:
    """The API's CSV columns after a readable date (what a spreadsheet sorts and charts by), and with `flagged`
    a last column naming the metrics whose value in that row is an upstream glitch (README: "How changes are
    measured"): kept as read, so nothing is hidden, but marked, as the dashboard draws them as gaps."""
    return [f"date ({tz.key})", *header, *([GLITCH_COLUMN] if flagged else [])]


def with_date(row: list[Any], t: int, tz: ZoneInfo, flags: list[str] | None = None) -> list[Any]:
    when = datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M")
    return [when, *row, *([" ".join(flags)] if flags is not None else [])]


def glitches_by_bucket(glitches: list[analytics.Glitch]) -> dict[int, list[str]]:
    """Snapshot bucket -> the metrics flagged as glitched in it (in METRICS order)."""
    by_bucket: dict[int, list[str]] = {}
    for g in glitches:
        by_bucket.setdefault(g.bucket, []).append(g.metric)
    return by_bucket


# --- the account's profile -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What the page header shows of the X account; every field but the names is optional (older servers and
    accounts that never said leave them out)."""

    username: str
    name: str
    avatar: str | None
    bio: str | None
    location: str | None
    joined: int | None
    url: str


def profile(view: TrackerView | None, *, pictures: bool) -> Profile | None:
    """The page header's account card, from the profile the hourly lookups keep fresh (absent before the first).
    `pictures`: show X's profile picture (not for the emulator's made-up accounts, whose URLs lead nowhere)."""
    if view is None:
        return None
    p = view.profile
    avatar = p.profile_image_url if p is not None and pictures else None
    return Profile(
        username=view.username,
        name=view.name,
        avatar=avatar if avatar and avatar.startswith("https://") else None,
        bio=(p.description or None) if p is not None else None,
        location=(p.location or None) if p is not None else None,
        joined=p.account_created_at if p is not None else None,
        url=f"https://x.com/{view.username}",
    )


# --- compare -------------------------------------------------------------------------------------------------------

# The metrics as the pages name them (X says "posts" now; the API keeps Tweet Binder's "tweets").
METRIC_NAMES = {"followers": "Followers", "following": "Following", "tweets": "Posts", "lists": "Lists"}

COMPARE_MODES = {
    "absolute": "Count",
    "log": "Log scale",
    "change": "Change since start",
    "percent": "% change",
}


SIZE_RATIO_FOR_PERCENT = 10  # accounts this many times apart make a count chart one line and flat ones


def default_compare_mode(results: list[tuple[Tracker, analytics.Growth]], metric: str) -> str:
    """% change when the accounts' sizes differ by more than SIZE_RATIO_FOR_PERCENT times, else counts."""
    m: analytics.Metric = metric  # type: ignore[assignment]
    sizes = [t.end for _, g in results if (t := g.totals.get(m)) is not None and t.end]
    if len(sizes) >= 2 and max(sizes) > SIZE_RATIO_FOR_PERCENT * min(sizes):
        return "percent"
    return "absolute"


def compare_chart(results: list[tuple[Tracker, analytics.Growth]], metric: str) -> dict[str, Any]:
    """Column arrays of one metric for several trackers over the same periods (null where a tracker has none).

    Each period's value is drawn where it was read, at the period's end (the range's end for the last one), with
    the period's name as its hover label; a first point at the range's start holds each tracker's value as of the
    start (the one change rule's baseline; null for a tracker that began later), and `base` is that baseline, so
    "change since start" at the last point is the compare table's Change."""
    m: analytics.Metric = metric  # type: ignore[assignment]
    if not results:
        return {"t": [], "labels": [], "series": [], "range": None}
    g0 = results[0][1]
    zone = ZoneInfo(g0.tz)
    filled = [k for k in range(len(g0.rows)) if any(g.rows[k].snapshots for _, g in results)]
    keep = range(filled[0], filled[-1] + 1) if filled else range(0)  # no empty periods before any tracker began
    bases = [g.totals[m] for _, g in results]
    lead = any(b.start is not None and not b.began_later for b in bases)
    t = ([g0.start] if lead else []) + [min(g0.rows[k].end - 1, g0.end) for k in keep]
    labels = (["Start: " + when_label(g0.start, zone)] if lead else []) + [
        period_label(g0.rows[k].start, g0.interval, zone) for k in keep
    ]
    series = []
    for (tracker, g), base in zip(results, bases, strict=True):
        first = [None if base.began_later else base.start] if lead else []
        series.append(
            {
                "label": "@" + tracker.alias,
                "values": first + [g.rows[k].values[m] for k in keep],
                "base": base.start,
                "change": base.absolute,
            }
        )
    return {"t": t, "labels": labels, "series": series, "range": [g0.start, g0.end]}
