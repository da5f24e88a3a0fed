"""Building blocks for the config loader: typed reads of TOML tables that record problems.

Every read records what went wrong as `<location>: <reason>` and returns the default, so the
loader keeps going and reports every problem at once. Values that may be secret (URLs with
credentials, header values, passwords) are never echoed into a problem.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

T = TypeVar("T")

MAX_URL_LENGTH = 2048
_EMAIL = re.compile(r"^[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)*$")
_NAMED_EMAIL = re.compile(r"^\s*[^<>\r\n]*<([^<>]+)>\s*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _type_name(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


class TableReader:
    """Reads one TOML table; remembers which keys were used so the rest can be reported."""

    def __init__(self, table: Mapping[str, object], where: str, problems: list[str]) -> None:
        self.table = table
        self.where = where
        self.problems = problems
        self._used: set[str] = set()

    def loc(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def problem(self, key: str, reason: str) -> None:
        self.problems.append(f"{self.loc(key)}: {reason}")

    def has(self, key: str) -> bool:
        return key in self.table

    def raw(self, key: str) -> object | None:
        self._used.add(key)
        return self.table.get(key)

    def _typed(self, key: str, kind: type[T], default: T, expected: str) -> T:
        value = self.raw(key)
        if value is None:
            return default
        # bool is an int subclass; `port = true` must not pass as 1.
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        self.problem(key, f"expected {expected}, got {_type_name(value)}")
        return default

    def string(self, key: str, default: str = "") -> str:
        text = self._typed(key, str, default, "a string")
        if _CONTROL.search(text):
            self.problem(key, "must not contain control characters (line breaks, tabs, NUL)")
            return default
        return text

    def required_string(self, key: str) -> str:
        if not self.has(key):
            self.problem(key, "missing")
            return ""
        reported = len(self.problems)
        text = self.string(key).strip()
        if not text and len(self.problems) == reported:
            self.problem(key, "must not be empty")
        return text

    def boolean(self, key: str, default: bool) -> bool:
        return self._typed(key, bool, default, "true or false")

    def integer(self, key: str, default: int, low: int, high: int | None = None) -> int:
        value = self._typed(key, int, default, "an integer")
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.problem(key, f"must be {bound}, got {value}")
            return default
        return value

    def choice(self, key: str, default: str, choices: Sequence[str]) -> str:
        value = self.string(key, default)
        if value not in choices:
            self.problem(key, f"must be {_either(choices)}")
            return default
        return value

    def convert(
        self, key: str, default: T, parse: Callable[[str], T], expected: str = "a string"
    ) -> T:
        """A string value through `parse`; its ValueError message becomes the problem."""
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, str):
            self.problem(key, f"expected {expected}, got {_type_name(value)}")
            return default
        try:
            return parse(value)
        except ValueError as e:
            self.problem(key, str(e))
            return default

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.raw(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(key, "expected an array of strings")
            return ()
        items = tuple(v.strip() for v in value)
        if not all(items) or any(_CONTROL.search(v) for v in items):
            self.problem(key, "must not contain empty strings or control characters")
            return tuple(v for v in items if v and not _CONTROL.search(v))
        return items

    def subtable(self, key: str) -> Mapping[str, object] | None:
        value = self.raw(key)
        if value is None or isinstance(value, dict):
            return value
        self.problem(key, f"expected a table, got {_type_name(value)}")
        return None

    def section(self, key: str) -> TableReader:
        """A `[key]` table as its own reader (empty when absent)."""
        return TableReader(self.subtable(key) or {}, self.loc(key), self.problems)

    def tables(self, key: str) -> list[TableReader]:
        """`[[key]]` entries, each a reader located at `key[i]`."""
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(key, f"expected an array of tables ([[{self.loc(key)}]] sections)")
            return []
        return [TableReader(t, f"{self.loc(key)}[{i}]", self.problems) for i, t in enumerate(value)]

    def report_unknown(self) -> None:
        """Unknown keys are problems: a typo must not silently fall back to a default."""
        for key in self.table:
            if key not in self._used:
                self.problems.append(f"unknown key {self.loc(key)}")


def _either(choices: Sequence[str]) -> str:
    quoted = [f'"{c}"' for c in choices]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def http_url_problem(url: str) -> str | None:
    """Why `url` is not an acceptable feed/base URL, or None. Never echoes the URL itself."""
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises ValueError for a junk port
    except ValueError:
        return "not an http(s) URL"
    if parts.scheme not in ("http", "https") or not host:
        return "not an http(s) URL"
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL: use the feed's auth = { ... } with a *_env variable"
    return None


def canonical_url(url: str) -> str:
    """Scheme and host are case-insensitive; compare URLs for duplicates on that basis."""
    parts = urlsplit(url)
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


def email_problem(text: str, *, allow_display_name: bool = False) -> str | None:
    """Rough check of an address (`desk@example.org`; `Name <addr>` where allowed)."""
    named = _NAMED_EMAIL.match(text) if allow_display_name else None
    address = named.group(1).strip() if named else text.strip()
    return None if _EMAIL.match(address) else f"not an email address: {text!r}"


def env_name_problem(name: str) -> str | None:
    if _ENV_NAME.match(name):
        return None
    return f"not an environment variable name: {name!r}"


def header_name_problem(name: str) -> str | None:
    return None if _HEADER_NAME.match(name) else f"not a valid header name: {name!r}"


def has_control_chars(text: str) -> bool:
    return _CONTROL.search(text) is not None


def timezone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return f"not a time zone name: {name!r} (use e.g. \"Europe/London\", \"UTC\")"
    return None


def is_loopback_host(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_secret(environ: Mapping[str, str], name: str, problems: list[str]) -> str:
    """`NAME` or `NAME_FILE` (file content, trailing newline stripped), "" when neither is set.

    The `_FILE` form keeps the secret out of the process environment (Docker/compose secrets).
    """
    direct = environ.get(name, "")
    file_name = environ.get(f"{name}_FILE", "")
    if direct and file_name:
        problems.append(f"{name}: set either {name} or {name}_FILE, not both")
        return ""
    if not file_name:
        return direct
    try:
        return Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
        problems.append(f"{name}_FILE: cannot read {file_name}: {reason}")
        return ""
