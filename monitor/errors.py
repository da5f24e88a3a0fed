"""The one exception tree. Translate at the boundary and always chain (`raise X(...) from e`).

    MonitorError
    ├── ConfigError          the config file has problems (carries every one of them)
    ├── RuleError            a rule query is invalid (carries the position)
    ├── FetchError           a feed could not be fetched (data: stored on the feed)
    ├── ParseError           a feed document could not be parsed (data: stored on the feed)
    ├── StoreError           the database refused or is out of date
    │   └── LeaseLost        a claimed row was taken over by another worker
    └── MailError            a message could not be delivered
        ├── TransientMailError   retry later (connection refused, 4xx, timeout)
        └── PermanentMailError   give up and record (5xx, bad address)

User errors (ConfigError, RuleError) exit 2 with a message; FetchError/ParseError are per-feed
data and never stop a cycle; anything outside this tree is a bug and crashes loudly.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(MonitorError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class RuleError(MonitorError):
    def __init__(self, message: str, position: int, query: str = "") -> None:
        self.message = message
        self.position = position
        self.query = query
        super().__init__(f"{message} at position {position}")


class FetchError(MonitorError):
    pass


class ParseError(MonitorError):
    pass


class StoreError(MonitorError):
    pass


class LeaseLost(StoreError):
    pass


class MailError(MonitorError):
    pass


class TransientMailError(MailError):
    pass


class PermanentMailError(MailError):
    pass
