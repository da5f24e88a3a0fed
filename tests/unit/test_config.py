from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from monitor.config import (
    DatabaseSettings,
    FeedAuth,
    Settings,
    format_duration,
    load_settings,
    parse_duration,
    parse_size,
)
from monitor.errors import ConfigError

FULL_EXAMPLE = """
[database]
url = "sqlite:///var/monitor.db"

[fetch]
interval = "10m"
min_interval = "5m"
max_interval = "24h"
timeout = "30s"
max_body_size = "10MiB"
per_host_concurrency = 2
concurrency = 100
allow_private_networks = false
user_agent = "monitor/0.1 (+https://example.org/monitor)"

[worker]
name = ""
tick = "5s"
lease = "2m"

[[feeds]]
url = "https://www.aljazeera.com/xml/rss/all.xml"
name = "Al Jazeera"
tier = "broadcaster"
interval = "5m"

[[places]]
name = "Green Zone"
aliases = ["International Zone"]
within = "Baghdad"
country = "IQ"

[[regions]]
name = "Levant"
countries = ["SY", "LB", "JO", "IL", "PS"]

[[rules]]
name = "iraq-attacks"
query = '(rocket* OR missile* OR drone* OR "C-RAM") AND NOT (football OR match)'
regions = ["IQ"]
where = "happened"
severity = "urgent"
recipients = ["duty@example.org"]
cooldown = "15m"

[email]
from = "monitor@example.org"
smtp_host = "localhost"
smtp_port = 25
smtp_security = "none"
smtp_user = ""
outbox_dir = "var/mail"
admin = "ops@example.org"
alert_max_age = "6h"

[digest]
time = "18:00"
timezone = "Asia/Baghdad"
recipients = ["desk@example.org"]

[web]
host = "127.0.0.1"
port = 8080
base_url = "https://monitor.example.org"
auth = "password"
"""


FEED = '[[feeds]]\nurl = "https://a.example/rss"\n'


def write(tmp_path: Path, text: str, name: str = "monitor.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, environ: Mapping[str, str] | None = None) -> Settings:
    return load_settings(write(tmp_path, text), environ or {})


def problems_of(tmp_path: Path, text: str, environ: Mapping[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, environ)
    return caught.value.problems


def test_an_empty_file_gives_the_documented_defaults(tmp_path: Path) -> None:
    settings = load(tmp_path, "")
    assert settings.fetch.interval_s == 600
    assert settings.worker.lease_s == 120
    assert settings.email.max_per_hour == 20
    assert settings.digest.max_stories == 50
    assert settings.database.url == "sqlite:///var/monitor.db"
    assert settings.email.outbox_dir == tmp_path / "var/mail"
    assert settings.path == tmp_path / "monitor.toml"


def test_the_documented_example_loads_with_every_value(tmp_path: Path) -> None:
    settings = load(tmp_path, FULL_EXAMPLE)
    assert settings.fetch.max_body_size == 10 * 1024 * 1024
    assert settings.feeds[0].interval_s == 300 and settings.feeds[0].tier == "broadcaster"
    assert settings.places[0].aliases == ("International Zone",)
    assert settings.regions[0].countries == ("SY", "LB", "JO", "IL", "PS")
    rule = settings.rules[0]
    assert (rule.severity, rule.where, rule.cooldown_s) == ("urgent", "happened", 900)
    assert rule.recipients == ("duty@example.org",)
    assert settings.email.sender == "monitor@example.org"
    assert settings.email.alert_max_age_s == 6 * 3600
    assert (settings.digest.time, settings.digest.timezone) == ("18:00", "Asia/Baghdad")
    assert settings.web.base_url == "https://monitor.example.org"


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ('[fetch]\nintervall = "10m"', "unknown key fetch.intervall"),
        ('colour = "red"', "unknown key colour"),
        (FEED + "ttl = 5", "unknown key feeds[0].ttl"),
        (
            '[fetch]\ntimeout = "fast"',
            """fetch.timeout: not a duration: 'fast' (use e.g. "90s", "15m", "2h", "1d")""",
        ),
        (
            "[fetch]\ntimeout = 30",
            'fetch.timeout: expected a duration string like "15m", got an integer',
        ),
        ('[fetch]\ntimeout = "0s"', "fetch.timeout: must be longer than 0s"),
        (
            '[fetch]\nmax_body_size = "lots"',
            """fetch.max_body_size: not a size: 'lots' (use e.g. "10MiB", "512KiB")""",
        ),
        ("[fetch]\nconcurrency = 0", "fetch.concurrency: must be at least 1, got 0"),
        ("[fetch]\nconcurrency = true", "fetch.concurrency: expected an integer, got a boolean"),
        (
            '[fetch]\nallow_private_networks = "yes"',
            "fetch.allow_private_networks: expected true or false, got a string",
        ),
        (
            '[fetch]\nuser_agent = ""',
            "fetch.user_agent: must not be empty: publishers need to know who polls them",
        ),
        (
            '[fetch]\nmin_interval = "2h"\nmax_interval = "1h"\ninterval = "90m"',
            "fetch.min_interval: must not be longer than fetch.max_interval",
        ),
        (
            '[fetch]\ninterval = "1m"',
            "fetch.interval: must lie within fetch.min_interval..fetch.max_interval (5m..1d)",
        ),
        ('[worker]\nlease = "30s"', "worker.lease: must be longer than fetch.timeout (30s)"),
        ("fetch = 3", "fetch: expected a table, got an integer"),
        (
            "[feeds]\nurl = 'https://a.example/'",
            "feeds: expected an array of tables ([[feeds]] sections)",
        ),
        ('[[feeds]]\nurl = "ftp://a.example/rss"', "feeds[0].url: not an http(s) URL"),
        ('[[feeds]]\nurl = "https://"', "feeds[0].url: not an http(s) URL"),
        ('[[feeds]]\nurl = "https://a.example:99999/rss"', "feeds[0].url: not an http(s) URL"),
        ("[[feeds]]\nname = 'x'", "feeds[0].url: missing"),
        (
            FEED + 'tier = "blog"',
            'feeds[0].tier: must be "wire", "broadcaster", "outlet" or "other"',
        ),
        (
            FEED + 'interval = "1m"',
            "feeds[0].interval: must lie within fetch.min_interval..fetch.max_interval (5m..1d)",
        ),
        (
            FEED + '[[feeds]]\nurl = "HTTPS://A.example/rss"',
            "feeds[1].url: duplicate of feeds[0].url",
        ),
        (
            FEED + 'headers = { "Accept-Encoding" = "br" }',
            "feeds[0].headers.Accept-Encoding: set by monitor itself; remove it",
        ),
        (
            FEED + 'headers = { "Bad Name" = "v" }',
            "feeds[0].headers.Bad Name: not a valid header name: 'Bad Name'",
        ),
        (
            FEED + 'auth = { token_env = "T" }',
            'feeds[0].auth.type: missing (use "basic" or "bearer")',
        ),
        (
            FEED + 'auth = { type = "digest" }',
            'feeds[0].auth.type: must be "basic" or "bearer"',
        ),
        (
            FEED + 'auth = { type = "basic", password_env = "P" }',
            "feeds[0].auth.username: missing",
        ),
        (
            FEED + 'auth = { type = "bearer", token_env = "1X" }',
            "feeds[0].auth.token_env: not an environment variable name: '1X'",
        ),
        (
            FEED + 'auth = { type = "bearer", token_env = "NOPE" }',
            "feeds[0].auth.token_env: environment variable NOPE (or NOPE_FILE) is not set",
        ),
        ("[[places]]\ncountry = 'IQ'", "places[0].name: missing"),
        (
            "[[places]]\nname = 'X'\naliases = 'Y'",
            "places[0].aliases: expected an array of strings",
        ),
        ("[[regions]]\nname = 'Levant'", "regions[0].countries: missing"),
        (
            "[[regions]]\nname = 'Levant'\ncountries = []",
            "regions[0].countries: must list at least one country",
        ),
        (
            "[[regions]]\nname = 'L'\ncountries = ['SY']\n"
            "[[regions]]\nname = 'l'\ncountries = ['LB']",
            "regions[1].name: duplicate of regions[0].name",
        ),
        (
            "[[regions]]\nname = 'L'\ncountries = ['SY', '']",
            "regions[0].countries: must not contain empty strings or control characters",
        ),
        (
            "[[rules]]\nname = 'r'\nquery = 'x'\nseverity = 'high'",
            'rules[0].severity: must be "urgent" or "normal"',
        ),
        (
            "[[rules]]\nname = 'r'\nquery = 'x'\nwhere = 'there'",
            'rules[0].where: must be "happened" or "mentioned"',
        ),
        ("[[rules]]\nname = 'r'\nquery = ''", "rules[0].query: must not be empty"),
        ("[[rules]]\nquery = 'x'", "rules[0].name: missing"),
        (
            "[[rules]]\nname = 'r'\nquery = 'x'\nseverity = 'urgent'",
            "rules[0].recipients: an urgent rule needs at least one recipient",
        ),
        (
            "[[rules]]\nname = 'r'\nquery = 'x'\nrecipients = ['duty']",
            "rules[0].recipients[0]: not an email address: 'duty'",
        ),
        (
            "[[rules]]\nname = 'r'\nquery = 'x'\n[[rules]]\nname = 'r'\nquery = 'y'",
            "rules[1].name: duplicate of rules[0].name",
        ),
        ('[email]\nfrom = "monitor"', "email.from: not an email address: 'monitor'"),
        ('[email]\nadmin = "ops@"', "email.admin: not an email address: 'ops@'"),
        (
            '[email]\nsmtp_security = "ssl"',
            'email.smtp_security: must be "none", "starttls" or "tls"',
        ),
        ("[email]\nsmtp_port = 70000", "email.smtp_port: must be between 1 and 65535, got 70000"),
        ("[email]\nmax_per_hour = 0", "email.max_per_hour: must be at least 1, got 0"),
        (
            '[email]\nsmtp_host = "mail"\nsmtp_user = "u"',
            "email.smtp_user: set, but MONITOR_SMTP_PASSWORD(_FILE) is not",
        ),
        (
            '[digest]\ntime = "6pm"',
            """digest.time: not a time of day: '6pm' (use 24-hour HH:MM, e.g. "18:00")""",
        ),
        (
            '[digest]\ntime = "24:00"',
            """digest.time: not a time of day: '24:00' (use 24-hour HH:MM, e.g. "18:00")""",
        ),
        (
            '[digest]\ntimezone = "Mars/Olympus"',
            "digest.timezone: not a time zone name: 'Mars/Olympus'"
            ' (use e.g. "Europe/London", "UTC")',
        ),
        ("[digest]\nmax_stories = 0", "digest.max_stories: must be at least 1, got 0"),
        (
            '[web]\nhost = "0.0.0.0"\nauth = "none"',
            'web.auth: "none" is only allowed when web.host is a loopback address',
        ),
        ('[web]\nauth = "basic"', 'web.auth: must be "password" or "none"'),
        ('[web]\nbase_url = "javascript:alert(1)"', "web.base_url: not an http(s) URL"),
        (
            '[database]\nurl = "mysql://localhost/db"',
            "database.url: not a database URL (use sqlite:///path/to/file.db or postgresql://…)",
        ),
    ],
)
def test_each_mistake_is_reported_with_its_location(
    tmp_path: Path, toml: str, problem: str
) -> None:
    assert problem in problems_of(tmp_path, toml)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        '[fetch]\ntimeout = "fast"\n[[feeds]]\nurl = "ftp://x"\n'
        '[[rules]]\nname = "r"\nquery = "q"\n'
        'severity = "high"\n[digest]\ntimezone = "Nowhere"\n[web]\nport = "80"',
    )
    assert [p.split(":")[0] for p in problems] == [
        "fetch.timeout",
        "feeds[0].url",
        "rules[0].severity",
        "digest.timezone",
        "web.port",
    ]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("monitor.example.org", False),
    ],
)
def test_web_auth_none_is_allowed_only_on_loopback(
    tmp_path: Path, host: str, allowed: bool
) -> None:
    text = f'[web]\nhost = "{host}"\nauth = "none"'
    if allowed:
        assert load(tmp_path, text).web.auth == "none"
    else:
        assert problems_of(tmp_path, text)


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("desk@example.org", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("root@localhost", True),
        ("desk", False),
        ("desk@", False),
        ("@example.org", False),
        ("a b@example.org", False),
        ("desk@example.org, ops@example.org", False),
    ],
)
def test_recipient_addresses_are_roughly_checked(tmp_path: Path, address: str, valid: bool) -> None:
    text = f'[digest]\nrecipients = ["{address}"]'
    if valid:
        assert load(tmp_path, text).digest.recipients == (address,)
    else:
        assert problems_of(tmp_path, text) == [
            f"digest.recipients[0]: not an email address: {address!r}"
        ]


def test_the_sender_may_carry_a_display_name(tmp_path: Path) -> None:
    settings = load(tmp_path, '[email]\nfrom = "Monitor Desk <monitor@example.org>"')
    assert settings.email.sender == "Monitor Desk <monitor@example.org>"


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert caught.value.problems == [f"{path}: no such file"]


def test_a_toml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, '[fetch]\ninterval = "10m"\ntimeout = \n')
    assert len(problems) == 1
    assert "line 3, column 11" in problems[0] and problems[0].startswith(str(tmp_path))


def test_a_file_that_is_not_utf8_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "Zürich"'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path, {})


def test_the_config_path_becomes_absolute_and_relative_paths_follow_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    write(tmp_path / "conf", '[database]\nurl = "sqlite:///data/m.db"\n[email]\noutbox_dir = "out"')
    monkeypatch.chdir(tmp_path)
    settings = load_settings(Path("conf/monitor.toml"), {})
    assert settings.path == tmp_path / "conf" / "monitor.toml"
    assert settings.email.outbox_dir == tmp_path / "conf" / "out"
    assert settings.database.url == "sqlite:///data/m.db"


def test_an_absolute_outbox_dir_is_kept(tmp_path: Path) -> None:
    settings = load(tmp_path, '[email]\noutbox_dir = "/srv/mail"')
    assert settings.email.outbox_dir == Path("/srv/mail")


@pytest.mark.parametrize(
    ("toml", "port"),
    [
        ("", 25),
        ('smtp_security = "starttls"', 587),
        ('smtp_security = "tls"', 465),
        ('smtp_security = "tls"\nsmtp_port = 2465', 2465),
    ],
)
def test_the_smtp_port_defaults_from_the_security_mode(
    tmp_path: Path, toml: str, port: int
) -> None:
    assert load(tmp_path, f"[email]\n{toml}").email.smtp_port == port


def test_a_feed_is_named_after_its_host_unless_named(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        '[[feeds]]\nurl = "https://News.Example.org:8443/rss"\n'
        '[[feeds]]\nurl = "https://b.example/rss"\nname = "B wire"\ntier = "wire"',
    )
    assert [(f.name, f.tier) for f in settings.feeds] == [
        ("news.example.org", "other"),
        ("B wire", "wire"),
    ]


def test_feed_credentials_in_the_url_are_refused(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, '[[feeds]]\nurl = "https://u:hunter2@a.example/rss"')
    assert problems == [
        "feeds[0].url: credentials in the URL: use the feed's auth = { ... } with a *_env variable"
    ]


@pytest.mark.parametrize(
    ("auth", "environ", "expected"),
    [
        (
            '{ type = "bearer", token_env = "AFP_TOKEN" }',
            {"AFP_TOKEN": "tok"},
            FeedAuth(kind="bearer", secret_env="AFP_TOKEN", secret="tok"),
        ),
        (
            '{ type = "basic", username = "u", password_env = "X" }',
            {"X": "pw"},
            FeedAuth(kind="basic", username="u", secret_env="X", secret="pw"),
        ),
    ],
)
def test_feed_auth_reads_its_secret_from_the_named_variable(
    tmp_path: Path, auth: str, environ: dict[str, str], expected: FeedAuth
) -> None:
    text = FEED + f'auth = {auth}\nheaders = {{ X-Desk = "1" }}'
    feed = load(tmp_path, text, environ).feeds[0]
    assert feed.auth == expected
    assert feed.headers == (("X-Desk", "1"),)


def test_feed_auth_reads_the_file_twin_of_the_named_variable(tmp_path: Path) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_text("from-file\n")
    text = FEED + 'auth = { type = "bearer", token_env = "T" }'
    feed = load(tmp_path, text, {"T_FILE": str(secret_file)}).feeds[0]
    assert feed.auth is not None and feed.auth.secret == "from-file"


def test_the_database_url_comes_from_the_environment_when_set(tmp_path: Path) -> None:
    environ = {"MONITOR_DATABASE_URL": "postgresql://mon@db/monitor"}
    settings = load(tmp_path, '[database]\nurl = "sqlite:///x.db"', environ)
    assert settings.database.url == "postgresql://mon@db/monitor"


def test_a_bad_database_url_from_the_environment_is_blamed_on_the_variable(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "", {"MONITOR_DATABASE_URL": "mysql://u:pw@h/db"})
    assert problems == [
        "MONITOR_DATABASE_URL: not a database URL (use sqlite:///path/to/file.db or postgresql://…)"
    ]
    assert "pw" not in problems[0]


@pytest.mark.parametrize(
    ("variable", "read"),
    [
        ("MONITOR_SMTP_PASSWORD", lambda settings: settings.email.smtp_password),
        ("MONITOR_WEB_PASSWORD", lambda settings: settings.web.password),
        ("MONITOR_API_TOKEN", lambda settings: settings.web.api_token),
    ],
)
def test_secrets_come_from_the_variable_or_its_file(
    tmp_path: Path, variable: str, read: Callable[[Settings], str]
) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("s3cret-from-file\n")
    assert read(load(tmp_path, "", {variable: "s3cret"})) == "s3cret"
    assert read(load(tmp_path, "", {f"{variable}_FILE": str(secret_file)})) == "s3cret-from-file"


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        (
            {"MONITOR_SMTP_PASSWORD_FILE": "/nonexistent/pw"},
            "MONITOR_SMTP_PASSWORD_FILE: cannot read /nonexistent/pw: No such file or directory",
        ),
        (
            {"MONITOR_API_TOKEN": "a", "MONITOR_API_TOKEN_FILE": "/x"},
            "MONITOR_API_TOKEN: set either MONITOR_API_TOKEN or MONITOR_API_TOKEN_FILE, not both",
        ),
    ],
)
def test_unusable_secret_variables_are_problems(
    tmp_path: Path, environ: dict[str, str], problem: str
) -> None:
    assert problems_of(tmp_path, "", environ) == [problem]


def test_secrets_never_appear_in_the_repr_of_settings(tmp_path: Path) -> None:
    environ = {
        "MONITOR_SMTP_PASSWORD": "smtp-secret",
        "MONITOR_WEB_PASSWORD": "web-secret",
        "MONITOR_API_TOKEN": "api-secret",
        "MONITOR_DATABASE_URL": "postgresql://mon:db-secret@db/monitor",
        "AFP_TOKEN": "feed-secret",
    }
    text = (
        FEED + 'auth = { type = "bearer", token_env = "AFP_TOKEN" }'
        '\nheaders = { X-Api-Key = "header-secret" }'
    )
    shown = repr(load(tmp_path, text, environ))
    for secret in (
        "smtp-secret",
        "web-secret",
        "api-secret",
        "db-secret",
        "feed-secret",
        "header-secret",
    ):
        assert secret not in shown
    assert "postgresql://mon:***@db/monitor" in shown


def test_a_database_url_without_password_is_shown_as_is() -> None:
    assert repr(DatabaseSettings("sqlite:///x.db")) == "DatabaseSettings(url='sqlite:///x.db')"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("15m", 900.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1w", 604800.0),
        ("250ms", 0.25),
        (" 1.5h ", 5400.0),
    ],
)
def test_parse_duration_reads_units(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["fast", "10", "-5m", "5 minutes", "", "1y"])
def test_parse_duration_rejects_junk(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [("10MiB", 10 * 2**20), ("512KB", 512_000), ("1024", 1024), ("1GiB", 2**30), ("2 KiB", 2048)],
)
def test_parse_size_reads_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "10mb", "-1", "", "10 TiB"])
def test_parse_size_rejects_junk(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def test_an_integer_size_counts_bytes(tmp_path: Path) -> None:
    assert load(tmp_path, "[fetch]\nmax_body_size = 4096").fetch.max_body_size == 4096


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (90, "90s"),
        (900, "15m"),
        (7200, "2h"),
        (86400, "1d"),
        (604800, "1w"),
        (5400, "90m"),
        (0.25, "0.25s"),
    ],
)
def test_format_duration_uses_the_largest_exact_unit(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_the_examples_in_the_configuration_reference_load(tmp_path: Path) -> None:
    reference = Path(__file__).parents[2] / "docs" / "configuration.md"
    blocks = reference.read_text(encoding="utf-8").split("```toml\n")[1:]
    environ = {
        "EXAMPLE_WIRE_PASSWORD": "pw",
        "EXAMPLE_WIRE_TOKEN": "t",
        "MONITOR_SMTP_PASSWORD": "pw",
    }
    examples = [block.split("```")[0] for block in blocks]
    assert len(examples) == 3
    for example in examples:
        assert isinstance(load(tmp_path, example, environ), Settings)
