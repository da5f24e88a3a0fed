"""Server-rendered SVG charts (pygal): a world map shaded by matches per country and stacked
per-day bars. Every country and bar links to the inbox filtered to it (`target="_top"`, as the
charts are shown in frames). pygal's script tag is removed — nothing here needs JavaScript;
hover text comes from SVG <title> elements."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import pygal  # type: ignore[import-untyped]
from pygal.style import Style  # type: ignore[import-untyped]

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
_VALUE_DESC = re.compile(r'<desc class="value">([^<]*)</desc>')
STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#333333",
    foreground_strong="#111111", foreground_subtle="#999999",
    colors=("#b3261e", "#1f5fa8", "#2e7d32", "#8e44ad", "#d35400", "#16a085", "#7f8c8d",
            "#c0392b", "#2c3e50"),
    font_family="system-ui, sans-serif",
)
TOP_SERIES = 8
Link = Callable[[str, str], str]


def _finish(svg: str) -> str:
    """No script; tooltips as native SVG titles."""
    return _VALUE_DESC.sub(r"<title>\1</title>", _SCRIPT.sub("", svg))


def world_map(counts: Mapping[str, int], names: Mapping[str, str], link: Callable[[str], str]
              ) -> str:
    """Countries shaded by their matches; `names` labels the codes, `link` makes their URL."""
    from pygal_maps_world.maps import World  # type: ignore[import-untyped]

    chart = World(style=STYLE, js=[], show_legend=False, width=960, height=500,
                  print_values=False)
    values = [
        {"value": (code.lower(), n), "label": names.get(code, code),
         "xlink": {"href": link(code), "target": "_top"}}
        for code, n in counts.items()
    ]
    chart.add("matches", values)
    return _finish(chart.render(is_unicode=True))


def top_keys(series: Mapping[str, Mapping[str, int]], limit: int = TOP_SERIES) -> list[str]:
    """The busiest keys first (ties by name)."""
    return sorted(series, key=lambda k: (-sum(series[k].values()), k))[:limit]


def daily_bars(
    series: Mapping[str, Mapping[str, int]], days: Sequence[str], link: Link, title: str
) -> str:
    """Stacked bars: one bar per day (`days`, "YYYY-MM-DD"), one colour per key."""
    chart = pygal.StackedBar(style=STYLE, js=[], width=960, height=320, title=title,
                             x_label_rotation=0, legend_at_bottom=True, show_minor_x_labels=False,
                             truncate_legend=24)
    chart.x_labels = [d[5:] for d in days]
    chart.x_labels_major = [d[5:] for d in days[:: max(1, len(days) // 10)]]
    for key in top_keys(series):
        per_day = series[key]
        chart.add(key or "no country", [
            {"value": per_day.get(day, 0) or None, "xlink": {"href": link(key, day),
                                                             "target": "_top"}}
            for day in days
        ])
    return _finish(chart.render(is_unicode=True))
