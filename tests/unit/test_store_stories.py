"""Story assignment through the store: the persisted index, outlets, updates, the window."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor.config import FeedConfig
from monitor.store import open_store
from monitor.store.base import Arrival, Store
from monitor.store.sqlite_schema import MIGRATIONS
from monitor.store.sqlite_stories import SqliteStoryIndex
from monitor.store.story_window import StoryWindow, WindowedStoryIndex
from monitor.stories import fingerprint, new_candidate
from monitor.types import FeedResult, Item, NewItem

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WIRE = (
    "Rockets hit Baghdad's Green Zone near U.S. Embassy",
    "BAGHDAD (AM) - Two rockets struck the Green Zone near the U.S. Embassy on Sunday, "
    "security sources said, as the C-RAM air defence system fired.",
)
REWRITE = (
    "US embassy in Baghdad activates air defences as rockets hit Green Zone",
    "Air defences at the U.S. Embassy in Baghdad fired on Sunday as two rockets struck the "
    "heavily fortified Green Zone, according to security sources.",
)
UPDATE = (
    "UPDATE 1-Rockets hit Baghdad's Green Zone near U.S. Embassy, 3 wounded",
    "BAGHDAD (AM) - Two rockets struck the Green Zone near the U.S. Embassy on Sunday, wounding "
    "3 guards, security sources said, as the C-RAM air defence system fired.",
)
OTHER = (
    "Kenya's parliament passes finance bill after heated debate",
    "NAIROBI - Kenyan lawmakers approved the finance bill on Tuesday after a long session.",
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store("sqlite:///stories.db", tmp_path)
    s.migrate()
    s.sync_feeds([FeedConfig(url=f"https://{n}.example/rss", name=n) for n in "ABC"], T0)
    yield s
    s.close()


def assign(store: Store, text: tuple[str, str], at: datetime = T0, primary: str = "IQ") -> int:
    result = store.assign_story(fingerprint(*text), at, primary)
    assert result.story_id is not None
    return result.story_id


def store_item(store: Store, feed_name: str, key: str, text: tuple[str, str], story: int) -> None:
    [feed] = store.claim_due_feeds(T0, "w", 60, 1, urls=(f"https://{feed_name}.example/rss",))
    item = Item(key=key, feed_id=feed.id, source=feed.name, title=text[0], summary=text[1])
    done = FeedResult(
        feed_id=feed.id, lease_token=feed.lease_token or "", checked_at=T0,
        next_check_at=T0 + timedelta(hours=1), status=200, error=None, error_count=0,
        etag=None, last_modified=None, items=(NewItem(item, (), story),),
    )  # fmt: skip
    assert store.complete_feed(done, "w")


def test_two_outlets_copies_join_one_story_with_two_outlets(store: Store) -> None:
    first = assign(store, WIRE)
    second = assign(store, REWRITE, T0 + timedelta(minutes=30))
    store_item(store, "A", "a1", WIRE, first)
    store_item(store, "B", "b1", REWRITE, second)

    [story] = store.list_stories()

    assert first == second
    assert story.outlet_count == 2 and set(story.outlets) == {"A", "B"}


def test_an_unrelated_item_starts_its_own_story(store: Store) -> None:
    assert assign(store, WIRE) != assign(store, OTHER, primary="KE")


def test_the_same_text_after_the_window_starts_a_new_story(store: Store) -> None:
    first = assign(store, WIRE)

    assert assign(store, WIRE, T0 + timedelta(days=4)) != first


def test_an_update_with_new_numbers_is_flagged(store: Store) -> None:
    first = assign(store, WIRE)

    update = store.assign_story(fingerprint(*UPDATE), T0 + timedelta(hours=1), "IQ")

    assert update.story_id == first and update.updated


def test_a_story_whose_poll_lost_its_lease_is_not_listed(store: Store) -> None:
    assign(store, WIRE)

    assert store.list_stories() == []


def test_story_state_survives_reopening_the_store(tmp_path: Path, store: Store) -> None:
    first = assign(store, WIRE)
    store.close()
    again = open_store("sqlite:///stories.db", tmp_path)

    assert again.assign_story(fingerprint(*REWRITE), T0, "IQ").story_id == first
    again.close()


def _lookup_steps(tmp_path: Path, crowd: int) -> int:
    """SQLite VM steps (in thousands) of one candidate lookup when `crowd` stories share the
    looked-up keys."""
    s = open_store("sqlite:///crowd.db", tmp_path / str(crowd))
    s.migrate()
    s.close()
    conn = sqlite3.connect(tmp_path / str(crowd) / "crowd.db", isolation_level=None)
    conn.row_factory = sqlite3.Row
    index = SqliteStoryIndex(conn, StoryWindow())
    fp = fingerprint(*WIRE)
    since = T0 - timedelta(hours=72)
    with conn:
        index.sync(since)
        for n in range(crowd):
            at = T0 + timedelta(seconds=n)
            index.add(new_candidate(index.new_story_id(), fp, at, "IQ"), fp.band_keys)
        index.flush()
    index.window.decoded.clear()  # the winners' rows are read from the table
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    conn.set_progress_handler(count, 1000)
    index.sync(since)
    found = index.candidates(fp.band_keys, since)
    conn.close()
    assert len(found) == min(crowd, index.window.per_key)
    return steps


def test_a_lookup_costs_the_same_however_many_stories_share_its_keys(tmp_path: Path) -> None:
    # Each key's bucket holds only its newest `per_key` stories, and only the winners' rows are
    # read: 2,000 stories on every key cost what 20 do.
    few, many = _lookup_steps(tmp_path, 20), _lookup_steps(tmp_path, 2000)
    assert many <= 2 * max(few, 1)


def test_a_failed_assignment_drops_the_window_and_the_next_one_reloads_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = assign(store, WIRE)

    def fail_after_adding(self: SqliteStoryIndex, *args: object) -> None:
        WindowedStoryIndex.add(self, *args)  # type: ignore[arg-type]
        raise RuntimeError("disk went away")

    with monkeypatch.context() as m:
        m.setattr(SqliteStoryIndex, "add", fail_after_adding)
        with pytest.raises(RuntimeError):
            assign(store, OTHER, primary="KE")

    window: StoryWindow = store._story_window  # type: ignore[attr-defined]
    assert window.rev is None and len(window.buckets) == 0
    assert assign(store, REWRITE, T0 + timedelta(minutes=30)) == first
    assert window.rev == 2  # the rolled-back revision was not counted


def test_migrating_moves_the_old_link_table_into_each_storys_keys(tmp_path: Path) -> None:
    db = Database(tmp_path / "old.db")
    MIGRATIONS.apply(db, stop_before="0003_story_window")
    db.execute(
        "INSERT INTO stories (id, title, first_seen_at, last_seen_at, fingerprint) "
        "VALUES (7, 't', '2026-11-25T12:00:00Z', '2026-11-25T12:00:00Z', '{}')"
    )
    db.conn.executemany(
        "INSERT INTO story_bands (band_key, story_id, last_seen_at) VALUES (?, 7, ?)",
        [("n:2", "2026-11-25T12:00:00Z"), ("n:1", "2026-11-25T11:00:00Z")],
    )
    db.conn.commit()

    MIGRATIONS.apply(db)

    row = db.execute("SELECT band_keys, rev FROM stories WHERE id = 7").fetchone()
    assert row == ("n:1 n:2", 7)
    assert "story_bands" not in db.table_names()


def test_one_polls_items_assigned_together_see_each_other(store: Store) -> None:
    wire, rewrite, other = store.assign_stories(
        [
            Arrival(fingerprint(*WIRE), T0, "IQ"),
            Arrival(fingerprint(*REWRITE), T0 + timedelta(minutes=5), "IQ"),
            Arrival(fingerprint(*OTHER), T0 + timedelta(minutes=6), "KE"),
        ]
    )

    assert wire.new and not rewrite.new and other.new
    assert rewrite.story_id == wire.story_id != other.story_id
    assert assign(store, UPDATE, T0 + timedelta(hours=1)) == wire.story_id


def test_a_storys_outlets_are_counted_from_the_index_alone(store: Store, tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "stories.db")
    plan = " ".join(
        row[3]
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT COUNT(DISTINCT feed_id) FROM items WHERE story_id = 1"
        )
    )
    conn.close()
    assert "COVERING INDEX items_story_feed" in plan
