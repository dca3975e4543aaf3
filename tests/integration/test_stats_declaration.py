"""The stats documents are declared once (roost/schemas/stats.py): the OpenAPI models are the declaration, and
every stats answer path is built from it. The second test adds a count to the declaration, as the README's
architecture section shows, and finds it in every path's answer, read from the store by name."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import pytest

from roost.schemas import StatsDocument, TagStats, TimelineStatsDocument
from roost.schemas import stats as stats_schema
from roost.schemas.stats import Column, declaration
from roost.services import exports, tracker_views
from roost.store import accounts as account_store
from roost.store import snapshots as snapshot_store
from roost.store.db import create_engine
from tests.integration.api_helpers import Harness, harness
from tests.integration.test_dashboard import PASSWORD, login
from tests.integration.test_fast_lane import HOUR, _routed, _snapshots

pytestmark = pytest.mark.timeout(300)


def test_the_models_the_encoder_the_csv_and_the_openapi_are_one_declaration() -> None:
    stats_keys = [key for key, _ in stats_schema.STATS_FIELDS]
    timeline_keys = [key for key, _ in stats_schema.TIMELINE_FIELDS]
    assert stats_keys == [f.alias or n for n, f in StatsDocument.model_fields.items()]
    assert timeline_keys == [f.alias or n for n, f in TimelineStatsDocument.model_fields.items()]
    assert timeline_keys[: len(stats_keys)] == stats_keys
    names = stats_schema.columns(True)
    row = tuple(range(1, len(names) + 1))
    (doc,) = stats_schema.stats_documents(names, [row], timeline=True)
    assert list(doc) == timeline_keys and TimelineStatsDocument.model_validate(doc).dump() == doc
    (two,) = stats_schema.stats_documents(names, [row], timeline=False)
    assert list(two) == stats_keys
    header, rows = stats_schema.stats_csv(names, [row])
    assert header == stats_keys and rows == [list(two.values())]
    # The OpenAPI schema of each document names the declared keys, in order.
    from roost.main import create_app

    spec = create_app().openapi()["components"]["schemas"]
    assert list(spec["StatsDocument"]["properties"]) == stats_keys
    assert list(spec["TimelineStatsDocument"]["properties"]) == timeline_keys


class GrownStats(StatsDocument):
    listsAgain: Annotated[int, Column("lists")]  # the added count: a column the table already has


class GrownTimeline(TimelineStatsDocument):
    listsAgain: Annotated[int, Column("lists")]


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def _history(h: Harness, auth: dict[str, str]) -> tuple[str, str, int]:
    made = (await h.client.post("/user-trackers/multi", json=[{"alias": "osasuna"}], headers=auth)).json()
    (tracker_id,) = [item["resourceId"] for item in made["ok"]]
    doc = (await h.client.get(f"/user-trackers/{tracker_id}", headers=auth)).json()
    created = doc["createdAt"]
    base = created - created % HOUR
    engine = create_engine(h.database_url)
    try:
        async with engine.begin() as conn:
            await snapshot_store.upsert_snapshots(conn, rows=list(_snapshots(int(doc["profile"]["id"]), base, 12)))
    finally:
        await engine.dispose()
    tag = (await h.client.post("/user-trackers/tags", json={"name": "club"}, headers=auth)).json()["resourceId"]
    assigned = await h.client.put("/user-trackers/tags", json={"add": [tag], "trackers": [tracker_id]}, headers=auth)
    assert assigned.status_code == 200, assigned.text
    return tracker_id, tag, base


async def test_a_count_added_to_the_declaration_reaches_every_stats_answer(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with harness(database_url) as h:
        token = await h.account("ana@example.com", password=PASSWORD)
        auth = {"Authorization": f"Bearer {token}"}
        tracker_id, tag, base = await _history(h, auth)
        monkeypatch.setattr(stats_schema, "STATS_FIELDS", declaration(GrownStats))
        monkeypatch.setattr(stats_schema, "TIMELINE_FIELDS", declaration(GrownTimeline))
        stats_keys = [key for key, _ in declaration(GrownStats)]
        timeline_keys = [key for key, _ in declaration(GrownTimeline)]
        assert stats_keys[-1] == timeline_keys[-1] == "listsAgain"
        answers: dict[str, tuple[list[str], list[dict[str, Any]]]] = {}
        query = f"startDate={base}&endDate={base + 11 * HOUR}"
        for kind, extra, keys in (("two-point", "", stats_keys), ("timeline", "&isTimeline=true", timeline_keys)):
            path = f"/user-trackers/{tracker_id}/stats?{query}{extra}"
            answers[f"lane {kind}"] = (keys, (await h.client.get(path, headers=auth)).json())
            answers[f"route {kind}"] = (keys, (await h.client.get(_routed(path), headers=auth)).json())
            answers[f"route csv {kind}"] = (
                stats_keys,
                _csv((await h.client.get(path + "&format=csv", headers=auth)).text),
            )
            tagged = (await h.client.get(f"/user-trackers/tags/{tag}/stats?{query}{extra}", headers=auth)).json()
            assert TagStats.model_validate(tagged).tag.id == tag
            answers[f"tag stats {kind}"] = (timeline_keys, tagged["trackers"][0]["timeline"])
        app: Any = h.client._transport.app  # type: ignore[attr-defined]
        rt = app.state.runtime
        async with rt.engine.connect() as conn:
            account = await account_store.get_account_by_email(conn, email="ana@example.com")
        assert account is not None
        tracker = await tracker_views.get(rt, account, tracker_id)
        found = await exports.export(rt, tracker, what="stats", start=base, end=base + 11 * HOUR)
        answers["export json"] = (stats_keys, found.document)
        assert found.header == stats_keys
        answers["export csv"] = (stats_keys, [dict(zip(found.header, r, strict=True)) for r in found.rows])
        async with httpx.AsyncClient(transport=h.client._transport, base_url="http://roost.test") as browser:  # type: ignore[attr-defined]
            await login(browser, "ana@example.com")
            days = [datetime.fromtimestamp(t, UTC).date().isoformat() for t in (base, base + 11 * HOUR)]
            page = await browser.get(f"/dashboard/trackers/{tracker_id}/export.csv?start={days[0]}&end={days[1]}")
            assert page.status_code == 200, page.text
            rows = _csv(page.text.removeprefix("\ufeff"))  # the BOM spreadsheets read UTF-8 by
            dated = next(k for k in rows[0] if k.startswith("date ("))
            header = list(rows[0])
            assert header[0] == dated and header[-1] == "glitched"  # the date first, the flag last
            answers["dashboard csv"] = (
                stats_keys,
                [{k: v for k, v in r.items() if k not in (dated, "glitched")} for r in rows],
            )
        for path, (keys, docs) in answers.items():
            assert docs, path
            for doc in docs:
                assert list(doc) == keys, path
                assert str(doc["listsAgain"]) == str(doc["lists"]) == "5", path
        assert len(answers["lane timeline"][1]) == 12 and len(answers["lane two-point"][1]) == 2
