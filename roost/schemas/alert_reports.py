"""Wire formats of scheduled reports (issue 22): the API's bodies and documents, the CLI's --json."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from roost.schemas.base import Input, Wire


class ReportBody(Input):
    """A scheduled report: weekly (on `weekday`) or monthly (on `day`) at local `at` in the IANA zone `tz`."""

    every: Literal["week", "month"]
    at: str = Field(max_length=5, description="Local time HH:MM, e.g. 09:00")
    tz: str = Field(max_length=64, description="IANA time zone, e.g. Europe/Madrid")
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = Field(
        default=None, description="Weekly reports: the day (default mon)"
    )
    day: int | None = Field(default=None, description="Monthly reports: the day of the month, 1-31 (default 1; "
                            "past a month's end, its last day)")  # fmt: skip
    trackers: list[str] = Field(min_length=1, max_length=20, description="Tracker aliases or resourceIds")
    channel: str = Field(max_length=64, description="The channel id the report goes to")


class ReportDocument(Wire):
    id: str
    every: Literal["week", "month"]
    at: str
    tz: str
    weekday: str | None
    day: int | None
    schedule: str = Field(description="The schedule in words")
    trackerIds: list[str]
    trackers: list[str] = Field(description="The trackers' aliases")
    channelId: str
    channel: str
    createdAt: int
    nextAt: int = Field(description="The next time it is due (unix seconds)")
    lastSent: int | None = Field(description="The end of the last period sent (unix seconds)")
    lastPeriodStart: int | None = Field(description="The start of the last period sent: its files are at "
                                        "/alerts/reports/{id}/{lastPeriodStart}.csv and .png")  # fmt: skip

    @classmethod
    def of(cls, r: Any) -> ReportDocument:
        """From services.alert_reports.ReportView (duck-typed: schemas sit below services)."""
        return cls(
            id=r.id, every=r.every, at=r.at, tz=r.tz, weekday=r.weekday, day=r.day, schedule=r.schedule,
            trackerIds=r.tracker_ids, trackers=r.trackers, channelId=r.channel_id, channel=r.channel,
            createdAt=r.created_at, nextAt=r.next_at, lastSent=r.last_sent, lastPeriodStart=r.last_start,
        )  # fmt: skip
