"""Configuration: TOML file + environment → one frozen, validated `Settings`.

`load_settings(path, environ)` reports every problem at once (ConfigError.problems, each
prefixed by its location, e.g. `feeds[3].url: not an http(s) URL`). Locations count array
entries from 0, in file order. Secrets come only from the environment and never appear in a
problem or in the repr of Settings.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from monitor.config_validate import TableReader
from monitor.errors import ConfigError
from monitor.types import Severity, Where

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$")
_SIZE_UNITS = {
    "B": 1, "KB": 1000, "KiB": 1024, "MB": 10**6, "MiB": 2**20, "GB": 10**9, "GiB": 2**30
}


def parse_duration(text: str) -> float:
    """"90s", "15m", "2h", "1d", "1w", "250ms" → seconds. Raises ValueError with the reason."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. \"90s\", \"15m\", \"2h\", \"1d\")")
    return float(m.group(1)) * _DURATION_UNITS[m.group(2)]


def parse_size(text: str) -> int:
    """"10MiB", "512KB", "1024" → bytes. Raises ValueError with the reason."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"not a size: {text!r} (use e.g. \"10MiB\", \"512KiB\")")
    return int(float(m.group(1)) * _SIZE_UNITS[m.group(2) or "B"])


def format_duration(seconds: float) -> str:
    """Seconds → the largest whole unit that fits exactly: 900 → "15m", 90 → "90s"."""
    for unit in ("w", "d", "h", "m"):
        size = _DURATION_UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/monitor.db"

    def __repr__(self) -> str:
        # A PostgreSQL URL may carry a password.
        parts = urlsplit(self.url)
        if parts.password is None:
            return f"DatabaseSettings(url={self.url!r})"
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return f"DatabaseSettings(url={parts._replace(netloc=netloc).geturl()!r})"


@dataclass(frozen=True)
class FetchSettings:
    interval_s: int = 600
    min_interval_s: int = 300
    max_interval_s: int = 86400
    timeout_s: float = 30.0
    max_body_size: int = 10 * 1024 * 1024
    per_host_concurrency: int = 2
    concurrency: int = 100
    allow_private_networks: bool = False
    user_agent: str = "monitor/0.1 (+https://example.org/monitor)"


@dataclass(frozen=True)
class WorkerSettings:
    name: str = ""
    tick_s: float = 5.0
    lease_s: int = 120


@dataclass(frozen=True)
class FeedAuth:
    kind: str  # "basic" | "bearer"
    username: str = ""
    secret_env: str = ""
    # Read from the variable named by secret_env when the config is loaded.
    secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str
    tier: str = "other"
    interval_s: int | None = None
    # Header values may be API keys: kept out of repr.
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    auth: FeedAuth | None = None


@dataclass(frozen=True)
class PlaceConfig:
    name: str
    aliases: tuple[str, ...] = ()
    within: str = ""
    country: str = ""


@dataclass(frozen=True)
class RegionConfig:
    name: str
    countries: tuple[str, ...]


@dataclass(frozen=True)
class RuleConfig:
    name: str
    query: str
    regions: tuple[str, ...] = ()
    where: Where = "happened"
    severity: Severity = "normal"
    recipients: tuple[str, ...] = ()
    cooldown_s: int = 0


@dataclass(frozen=True)
class EmailSettings:
    sender: str = "monitor@localhost"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    outbox_dir: Path = Path("var/mail")
    admin: str = ""
    alert_max_age_s: int = 6 * 3600
    max_per_hour: int = 20


@dataclass(frozen=True)
class DigestSettings:
    time: str = "18:00"
    timezone: str = "UTC"
    recipients: tuple[str, ...] = ()
    max_stories: int = 50


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""
    auth: str = "password"
    password: str = field(default="", repr=False)
    api_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    path: Path | None = None
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    feeds: tuple[FeedConfig, ...] = ()
    places: tuple[PlaceConfig, ...] = ()
    regions: tuple[RegionConfig, ...] = ()
    rules: tuple[RuleConfig, ...] = ()
    email: EmailSettings = field(default_factory=EmailSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    web: WebSettings = field(default_factory=WebSettings)


def load_settings(path: Path, environ: Mapping[str, str]) -> Settings:
    """Read the TOML file at `path`, apply the environment, validate everything, freeze.

    Raises ConfigError listing every problem found, each prefixed with its location.
    """
    # Imported here because the section builders construct the dataclasses defined above.
    from monitor.config_sections import build_settings

    document = _read_toml(path)
    problems: list[str] = []
    settings = build_settings(TableReader(document, "", problems), path.absolute(), environ)
    if problems:
        raise ConfigError(problems)
    return settings


def _read_toml(path: Path) -> dict[str, object]:
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise ConfigError([f"{path}: no such file"]) from e
    except OSError as e:
        raise ConfigError([f"{path}: cannot read: {e.strerror or e}"]) from e
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError([f"{path}: not UTF-8 text (byte {e.start})"]) from e
    except tomllib.TOMLDecodeError as e:
        # The message carries "(at line L, column C)".
        raise ConfigError([f"{path}: invalid TOML: {e}"]) from e

