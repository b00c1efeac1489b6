"""The benchmark's report: targets, sections and the tables they print."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Target:
    """A goal for one figure: ``value op limit`` (op is "<=" or ">=")."""

    name: str
    value: float | None
    op: str
    limit: float
    unit: str = "x"

    @property
    def met(self) -> bool | None:
        if self.value is None or math.isnan(self.value):
            return None
        return self.value <= self.limit if self.op == "<=" else self.value >= self.limit

    def label(self) -> str:
        verdict = {True: "met", False: "MISSED", None: "n/a"}[self.met]
        return f"{self.op}{self.limit:g}{self.unit} {verdict}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "op": self.op,
            "limit": self.limit,
            "unit": self.unit,
            "met": self.met,
        }


@dataclass
class Column:
    key: str
    header: str
    fmt: str = "{}"  # a format string, or "num": thousands separators, 2-3 significant decimals


@dataclass
class Section:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    seconds: float = 0.0

    def add_target(self, row: dict[str, Any], target: Target) -> None:
        """Record ``target`` and show it beside its figure in ``row`` (column "target")."""
        self.targets.append(target)
        row["target"] = target.label()

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "rows": self.rows,
            "notes": self.notes,
            "targets": [t.as_dict() for t in self.targets],
            "seconds": round(self.seconds, 2),
        }


def _cell(column: Column, row: dict[str, Any]) -> str:
    value = row.get(column.key)
    if value is None:
        return "-"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if column.fmt == "num" and isinstance(value, int | float):
        size = abs(value)
        return f"{value:,.0f}" if size >= 100 else f"{value:.2f}" if size >= 1 else f"{value:.3f}"
    try:
        return column.fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def format_table(columns: list[Column], rows: list[dict[str, Any]]) -> str:
    cells = [[c.header for c in columns]] + [[_cell(c, row) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    # Text columns align left, numbers right.
    left = [any(isinstance(row.get(c.key), str) for row in rows) for c in columns]
    lines = []
    for n, line in enumerate(cells):
        lines.append(
            "  ".join(
                text.rjust(w) if n and not lft else text.ljust(w)
                for text, w, lft in zip(line, widths, left, strict=True)
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_section(section: Section) -> None:
    print(f"\n== {section.title} ({section.seconds:.0f} s)")
    if section.rows:
        print(format_table(section.columns, section.rows))
    for note in section.notes:
        print(f"  note: {note}")
    sys.stdout.flush()
