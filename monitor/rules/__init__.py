"""The rule language: Lucene-style queries parsed by luqum into our AST, compiled into one
Aho-Corasick matcher over all rules, explained as terms and highlightable spans.

    parse_query(query) -> Node            syntax.py (RuleError with the position)
    Matcher.build([Node, ...]) -> Matcher compile.py (one automaton, triggered evaluation)
    explain(matcher, index, scan)         explain.py (terms and TermHits of a match)
    highlight(text, hits, field)          explain.py (rich Text for the CLI; mark() for plain text)

`monitor.rules.backtest.backtest(query, items, ...)` runs one query over past items (CLI and
web "test this rule"); `monitor.match.RuleBook` applies every configured rule and its regions.
"""

from __future__ import annotations

from monitor.rules.ast import Node
from monitor.rules.compile import Matcher
from monitor.rules.explain import explain, highlight, mark
from monitor.rules.syntax import parse_query

__all__ = ["Matcher", "Node", "explain", "highlight", "mark", "parse_query"]
