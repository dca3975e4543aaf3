"""A scheduled report's files, made from its document (the `report` part of the event's payload): the CSV of its
table and top posts, the PNG chart, and the plain text chat and mail channels show. Pure: the deliverer makes them
for e-mail attachments and the dashboard serves the same bytes behind its links.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from roost.core.pngchart import Line, line_chart

METRIC_ORDER = ("followers", "following", "tweets", "lists")


def _local(t: int, tz: str, fmt: str = "%a %d %b %Y %H:%M") -> str:
    return datetime.fromtimestamp(t, ZoneInfo(tz)).strftime(fmt)


def period_text(report: Mapping[str, Any]) -> str:
    p = report["period"]
    return f"{_local(p['start'], p['tz'])} - {_local(p['end'], p['tz'])} ({p['tz']})"


def csv_text(report: Mapping[str, Any]) -> str:
    """The table (one row per tracker and count: start, end, change, % change) then the top posts; UTF-8 with a
    byte order mark, as the dashboard's CSVs."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    p = report["period"]
    w.writerow(["period start", "period end", "time zone"])
    w.writerow([_local(p["start"], p["tz"], "%Y-%m-%d %H:%M"), _local(p["end"], p["tz"], "%Y-%m-%d %H:%M"), p["tz"]])
    w.writerow([])
    w.writerow(["tracker", "metric", "start", "end", "change", "change %", "since tracking began"])
    for t in report["trackers"]:
        for m in METRIC_ORDER:
            c = t["metrics"].get(m) or {}
            pct = "" if c.get("percent") is None else c["percent"]
            later = "yes" if c.get("beganLater") else ""
            w.writerow([t["alias"], m, c.get("start", ""), c.get("end", ""), c.get("change", ""), pct, later])
    w.writerow([])
    w.writerow(["top posts", "tracker", "engagement", "created", "url", "text"])
    for k, post in enumerate(report["topPosts"], 1):
        w.writerow([k, post["alias"], post["engagement"], _local(post["createdAt"], p["tz"], "%Y-%m-%d %H:%M"),
                    post["url"], post["text"]])  # fmt: skip
    return "\ufeff" + out.getvalue()


def png_bytes(report: Mapping[str, Any]) -> bytes:
    p = report["period"]
    lines = [Line(c["alias"], [(int(t), float(v)) for t, v in c["points"]]) for c in report["chart"]]
    return line_chart(
        f"Followers, % change: {_local(p['start'], p['tz'], '%d %b')} - {_local(p['end'], p['tz'], '%d %b %Y')}",
        lines,
        start_label=_local(p["start"], p["tz"], "%d %b"),
        end_label=_local(p["end"], p["tz"], "%d %b"),
        span=(p["start"], p["end"]),
    )


def text(report: Mapping[str, Any]) -> str:
    """The table and top posts as plain lines (the body of a chat message or an e-mail)."""
    lines = [f"Period: {period_text(report)}"]
    for t in report["trackers"]:
        parts = []
        for m in METRIC_ORDER:
            c = t["metrics"].get(m) or {}
            if c.get("change") is None:
                parts.append(f"{m} -")
                continue
            pct = "" if c.get("percent") is None else f" ({c['percent']:+.2f}%)"
            parts.append(f"{m} {c['start']:,} -> {c['end']:,} {c['change']:+,}{pct}")
        later = any((t["metrics"].get(m) or {}).get("beganLater") for m in METRIC_ORDER)
        mark = " (since tracking began)" if later else ""
        lines.append(f"@{t['alias']}{mark}: " + "; ".join(parts))
    if report["topPosts"]:
        lines.append("Top posts:")
        lines.extend(f"{k}. @{p['alias']} {p['engagement']:,} engagements {p['url']}"
                     for k, p in enumerate(report["topPosts"], 1))  # fmt: skip
    return "\n".join(lines)


def file_name(report: Mapping[str, Any], ext: str) -> str:
    p = report["period"]
    return f"roost-report-{_local(p['end'], p['tz'], '%Y-%m-%d')}.{ext}"
