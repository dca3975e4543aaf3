"""Choosing the account to act for, and finding a tracker by alias or id (the pure parts of the services)."""

from __future__ import annotations

import pytest

from roost.services.accounts import select_account
from roost.services.errors import ServiceError as WorkspaceError
from roost.services.tracker_views import find as find_tracker
from roost.store.accounts import Account
from roost.store.trackers import Tracker, TrackerView


def account(n: int) -> Account:
    return Account(
        id=n, email=f"user{n}@example.com", name=f"u{n}", password_hash="x", tracker_slots_total=5,
        tracker_slots_used=0, created_at=0, updated_at=0,
    )  # fmt: skip


def view(tracker_id: str, alias: str, username: str, status: str = "active", created: int = 0) -> TrackerView:
    tracker = Tracker(
        id=tracker_id, account_id=1, x_user_id=hash(username) % 1000, alias=alias, status=status,
        created_at=created, updated_at=created, stopped_at=None if status == "active" else created + 1,
    )  # fmt: skip
    return TrackerView(
        tracker=tracker, username=username, name=username, user_state="ok", last_error=None, last_snapshot=None,
        tag_ids=(),
    )  # fmt: skip


def test_the_only_account_is_chosen_without_asking() -> None:
    assert select_account([account(1)], None).id == 1
    assert select_account([account(1), account(2)], " USER2@example.com ").id == 2


def test_no_account_or_several_say_how_to_choose() -> None:
    with pytest.raises(WorkspaceError, match=r"^no accounts yet: create one with `roost accounts create"):
        select_account([], None)
    with pytest.raises(WorkspaceError, match=r"^2 accounts exist \(user1@example.com, user2@example.com\): "):
        select_account([account(1), account(2)], None)
    with pytest.raises(WorkspaceError, match=r"user1@example.com, .*user5@example.com, \.\.\.\): choose one with"):
        select_account([account(n) for n in range(1, 8)], None)
    with pytest.raises(
        WorkspaceError, match=r"^no account with email nobody@example.com \(see `roost accounts list`\)"
    ):
        select_account([account(1)], "Nobody@example.com")


def test_find_by_id_alias_or_current_name() -> None:
    views = [
        view("t3", "osasuna", "osasuna", created=3),
        view("t2", "OldName", "NewName", created=2),
        view("t1", "osasuna", "osasuna", status="stopped", created=1),
    ]
    assert find_tracker(views, "t2") is views[1]
    assert find_tracker(views, "t1") is views[2]  # an id names that very tracker, stopped or not
    assert find_tracker(views, "t1", active_only=True) is None
    assert find_tracker(views, "@OSASUNA") is views[0]  # the active one, not the older stopped one
    assert find_tracker(views, "oldname") is views[1] and find_tracker(views, "newname") is views[1]
    assert find_tracker(views, "nobody") is None
    with pytest.raises(WorkspaceError, match="neither a tracker id nor an X screen name"):
        find_tracker(views, "no such!")


def test_a_stopped_alias_means_the_newest_stopped_tracker() -> None:
    views = [view("t2", "kaji6", "kaji6", "stopped", 2), view("t1", "kaji6", "kaji6", "stopped", 1)]
    assert find_tracker(views, "kaji6") is views[0]
    assert find_tracker(views, "kaji6", active_only=True) is None
