"""The SQLite schema as ordered `sqlite_utils.Migrations` steps.

Every table of DESIGN.md §4 exists from the first step with its unique keys, so later features add
columns and indexes in new steps instead of reshaping tables. Never edit an applied step: append a
new one. Times are ISO-8601 UTC text of fixed width (see `sqlite_codec.ts`), so they sort as text.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("monitor")

_FEEDS = """
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    tier TEXT NOT NULL DEFAULT 'other',
    host TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'config' CHECK (source IN ('config', 'manual')),
    interval_s INTEGER,
    etag TEXT,
    last_modified TEXT,
    next_check_at TEXT NOT NULL,
    last_fetched_at TEXT,
    last_unconditional_at TEXT,
    last_new_item_at TEXT,
    last_status INTEGER,
    last_error TEXT,
    error_count INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    items_seen INTEGER NOT NULL DEFAULT 0,
    fetch_url TEXT,
    redirect_url TEXT,
    redirect_first_seen_at TEXT,
    redirect_count INTEGER NOT NULL DEFAULT 0,
    failing_since TEXT,
    typical_gap_s REAL,
    health TEXT,
    lease_owner TEXT,
    lease_until TEXT,
    lease_token TEXT,
    created_at TEXT NOT NULL
)"""

_STORIES = """
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    primary_country TEXT,
    outlet_count INTEGER NOT NULL DEFAULT 1,
    updated INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT
)"""

_ITEMS = """
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id),
    key TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    link TEXT,
    summary TEXT NOT NULL DEFAULT '',
    summary_html TEXT NOT NULL DEFAULT '',
    author TEXT,
    published_at TEXT,
    fetched_at TEXT NOT NULL,
    countries TEXT NOT NULL DEFAULT '[]',
    primary_country TEXT,
    places TEXT NOT NULL DEFAULT '[]',
    story_id INTEGER REFERENCES stories(id),
    fingerprint TEXT,
    UNIQUE (feed_id, key)
)"""

_MATCHES = """
CREATE TABLE matches (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id),
    rule TEXT NOT NULL,
    severity TEXT NOT NULL DEFAULT 'normal',
    terms TEXT NOT NULL DEFAULT '[]',
    hits TEXT NOT NULL DEFAULT '[]',
    regions TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'acknowledged', 'false_positive', 'starred')),
    note TEXT NOT NULL DEFAULT '',
    matched_at TEXT NOT NULL,
    UNIQUE (item_id, rule)
)"""

_OUTBOX = """
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('alert', 'digest', 'feed_health')),
    recipient TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT,
    last_error TEXT,
    message_id TEXT,
    lease_owner TEXT,
    lease_until TEXT,
    lease_token TEXT
)"""

_DIGEST_RUNS = """
CREATE TABLE digest_runs (
    recipient TEXT NOT NULL,
    digest_date TEXT NOT NULL,
    period_start TEXT,
    period_end TEXT,
    created_at TEXT NOT NULL,
    outbox_id INTEGER REFERENCES outbox(id),
    PRIMARY KEY (recipient, digest_date)
)"""

_AUDIT = """
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
)"""

_CYCLES = """
CREATE TABLE cycles (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    feeds INTEGER NOT NULL DEFAULT 0,
    new_items INTEGER NOT NULL DEFAULT 0,
    matches INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    lost_leases INTEGER NOT NULL DEFAULT 0
)"""

_WORKERS = """
CREATE TABLE workers (
    name TEXT PRIMARY KEY,
    host TEXT NOT NULL DEFAULT '',
    pid INTEGER,
    started_at TEXT NOT NULL,
    last_heartbeat_at TEXT NOT NULL,
    stopped_at TEXT,
    feeds_polled INTEGER NOT NULL DEFAULT 0
)"""

_HOST_BACKOFF = """
CREATE TABLE host_backoff (
    host TEXT PRIMARY KEY,
    until TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
)"""

# The hot reads: due feeds, review by time, backtests by item time, story membership, sending.
_INDEXES = (
    "CREATE INDEX feeds_due ON feeds (next_check_at) WHERE disabled_reason IS NULL",
    "CREATE INDEX items_published ON items (published_at)",
    "CREATE INDEX items_fetched ON items (fetched_at)",
    "CREATE INDEX items_time ON items (COALESCE(published_at, fetched_at), id)",
    "CREATE INDEX items_story ON items (story_id)",
    "CREATE INDEX matches_matched_at ON matches (matched_at)",
    "CREATE INDEX stories_last_seen ON stories (last_seen_at)",
    "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending'",
    "CREATE INDEX cycles_finished ON cycles (finished_at)",
    "CREATE INDEX feeds_host ON feeds (host)",
)


@MIGRATIONS(name="0001_initial")
def _initial(db: Database) -> None:
    for ddl in (_FEEDS, _STORIES, _ITEMS, _MATCHES, _OUTBOX, _DIGEST_RUNS, _AUDIT, _CYCLES):
        db.execute(ddl)
    for ddl in (_WORKERS, _HOST_BACKOFF, *_INDEXES):
        db.execute(ddl)


@MIGRATIONS(name="0002_story_index")
def _story_index(db: Database) -> None:
    """Story candidates by LSH band / key term, so assignment never scans items."""
    db.execute(
        "CREATE TABLE story_bands (band_key TEXT NOT NULL, "
        "story_id INTEGER NOT NULL REFERENCES stories(id), last_seen_at TEXT NOT NULL, "
        "PRIMARY KEY (band_key, story_id))"
    )
    db.execute("CREATE INDEX story_bands_recent ON story_bands (band_key, last_seen_at)")
    db.execute("CREATE INDEX outbox_sent ON outbox (kind, sent_at)")


@MIGRATIONS(name="0003_story_window")
def _story_window(db: Database) -> None:
    """Each story keeps its band keys and a revision; workers hold the buckets in memory
    (`monitor.store.story_window`) instead of a link table written key by key."""
    db.execute("ALTER TABLE stories ADD COLUMN band_keys TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE stories ADD COLUMN rev INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE stories SET rev = id, band_keys = COALESCE((SELECT group_concat(band_key, ' ') "
        "FROM (SELECT band_key FROM story_bands b WHERE b.story_id = stories.id "
        "ORDER BY b.last_seen_at, b.band_key)), '') WHERE fingerprint IS NOT NULL"
    )
    db.execute("DROP TABLE story_bands")
    db.execute("CREATE INDEX stories_rev ON stories (rev)")


@MIGRATIONS(name="0004_items_story_feed")
def _items_story_feed(db: Database) -> None:
    """A story's outlets (distinct feeds) are counted from the index alone."""
    db.execute("DROP INDEX items_story")
    db.execute("CREATE INDEX items_story_feed ON items (story_id, feed_id)")


def migrate(db: Database) -> None:
    """Apply every pending step; each runs in its own transaction (a no-op when up to date)."""
    MIGRATIONS.apply(db)


def pending(db: Database) -> list[str]:
    return [m.name for m in MIGRATIONS.pending(db)]
