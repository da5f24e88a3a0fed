"""monitor: watch news wire feeds, match analysts' rules and regions, alert and digest."""

from __future__ import annotations

__version__ = "0.1.0"
