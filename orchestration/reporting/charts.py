"""Chart geometry for the reports' inline SVG. Python computes shapes (positions, sizes, labels);
the Jinja templates draw them with every label escaped. No script, no external resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# One colour per claim type (colour-blind friendly, Okabe-Ito first), then a neutral.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#332288",
    "#117733",
    "#882255",
    "#44AA99",
    "#999933",
)


def colour_for(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str
    css_class: str = ""


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    css_class: str = ""


@dataclass
class Chart:
    width: int
    height: int
    title: str
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    gridlines: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, text)
    empty: bool = False


def _nice_max(value: Decimal) -> Decimal:
    """A round axis maximum at or above value (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return Decimal(1)
    exp = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= step * exp:
            return Decimal(step) * exp
    return 10 * exp


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _short(value: Decimal) -> str:
    return f"{value:,.0f}" if value >= 100 else money(value)


def stacked_weekly_bars(
    weeks: list[str], series: dict[str, list[Decimal]], currency: str, title: str
) -> Chart:
    """Stacked columns, one per week, one segment per series (claim type)."""
    width, height = 720, 300
    left, right, top, bottom = 64, 16, 16, 44
    chart = Chart(width, height, title)
    totals = [sum((s[i] for s in series.values()), Decimal(0)) for i in range(len(weeks))]
    peak = max(totals, default=Decimal(0))
    chart.empty = peak <= 0
    axis_max = _nice_max(peak)
    plot_h = height - top - bottom
    slot = (width - left - right) / max(len(weeks), 1)
    bar_w = slot * 0.64
    for i in range(5):
        v = axis_max * i / 4
        y = top + plot_h - float(v / axis_max) * plot_h
        chart.gridlines.append((y, money(v)))
    for idx, name in enumerate(series):
        chart.legend.append((colour_for(idx), name.replace("_", " ")))
    for w, week in enumerate(weeks):
        x = left + w * slot + (slot - bar_w) / 2
        y = top + plot_h
        for idx, (name, values) in enumerate(series.items()):
            v = values[w]
            if v <= 0:
                continue
            h = float(v / axis_max) * plot_h
            y -= h
            chart.rects.append(
                Rect(
                    x,
                    y,
                    bar_w,
                    h,
                    colour_for(idx),
                    f"{week}: {name.replace('_', ' ')} {money(v)} {currency}",
                    "bar",
                )
            )
        chart.labels.append(Label(x + bar_w / 2, height - bottom + 16, week[5:], "middle", "tick"))
        if totals[w] > 0:
            chart.labels.append(Label(x + bar_w / 2, y - 4, _short(totals[w]), "middle", "value"))
    return chart


def horizontal_bars(
    rows: list[tuple[str, Decimal, str, str]], title: str, label_width: int = 170
) -> Chart:
    """One bar per row: (label, value, colour, caption shown right of the bar)."""
    row_h, gap, top = 30, 8, 8
    width = 720
    height = top * 2 + len(rows) * (row_h + gap)
    chart = Chart(width, max(height, 60), title)
    peak = max((v for _, v, _, _ in rows), default=Decimal(0))
    chart.empty = peak <= 0
    plot_w = width - label_width - 190
    for i, (label, value, fill, caption) in enumerate(rows):
        y = top + i * (row_h + gap)
        w = float(value / peak) * plot_w if peak > 0 else 0
        chart.labels.append(Label(label_width - 10, y + row_h / 2 + 5, label, "end", "row"))
        chart.rects.append(
            Rect(label_width, y, max(w, 2.0), row_h, fill, f"{label}: {caption}", "bar")
        )
        chart.labels.append(
            Label(label_width + max(w, 2.0) + 8, y + row_h / 2 + 5, caption, "start", "value")
        )
    return chart
