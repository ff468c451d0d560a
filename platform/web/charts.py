"""Small inline SVG charts, drawn on the server: no chart library, nothing for the CSP to
allow, readable by screen readers through their title and description."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape


def _axis(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high == low:
        pad = abs(high) * 0.05 or 0.05
        return low - pad, high + pad
    pad = (high - low) * 0.05
    return low - pad, high + pad


def interval_bar(
    value: float | None,
    low: float | None,
    high: float | None,
    axis: tuple[float, float],
    *,
    label: str,
    width: int = 160,
    height: int = 18,
) -> Markup:
    """A score and its 95% interval as a dot on a line, on the board's common axis."""
    if value is None:
        return Markup("")
    start, end = axis
    span = (end - start) or 1.0

    def x(v: float) -> float:
        return round(4 + (width - 8) * (min(max(v, start), end) - start) / span, 1)

    mid = height / 2
    parts = [
        f'<svg class="ci" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}">',
        f'<line x1="4" y1="{mid}" x2="{width - 4}" y2="{mid}" class="ci-axis"/>',
    ]
    if low is not None and high is not None:
        parts.append(f'<line x1="{x(low)}" y1="{mid}" x2="{x(high)}" y2="{mid}" class="ci-range"/>')
    parts.append(f'<circle cx="{x(value)}" cy="{mid}" r="4" class="ci-dot"/></svg>')
    return Markup("".join(parts))


def board_axis(rows: list[dict[str, float | None]]) -> tuple[float, float]:
    """One axis for every bar of a board, so bars can be compared by eye."""
    values = [
        v for r in rows for v in (r.get("low"), r.get("high"), r.get("score")) if v is not None
    ]
    return _axis(values) if values else (0.0, 1.0)


def worth_a_chart(points: list[tuple[datetime, float]]) -> bool:
    """A line needs two moments: one point would be drawn as a flat line from a date to
    itself, which says less than a sentence."""
    return len({moment for moment, _ in points}) >= 2


def progress_chart(
    points: list[tuple[datetime, float]],
    *,
    until: datetime,
    title: str,
    description: str,
    zone: str = "Asia/Seoul",
    fmt: str = "{:.4f}",
    width: int = 640,
    height: int = 220,
) -> Markup:
    """The leading score over time as a step line, up to ``until`` (usually now); nothing
    until there are two moments to draw (see :func:`worth_a_chart`)."""
    if not worth_a_chart(points):
        return Markup("")
    left, right, top, bottom = 64, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    t0 = points[0][0].timestamp()
    t1 = max(until.timestamp(), t0 + 1)
    y0, y1 = _axis([s for _, s in points])

    def x(moment: datetime) -> float:
        return round(left + plot_w * (moment.timestamp() - t0) / (t1 - t0), 1)

    def y(value: float) -> float:
        return round(top + plot_h * (1 - (value - y0) / (y1 - y0)), 1)

    path = f"M{x(points[0][0])},{y(points[0][1])}"
    for moment, value in points[1:]:
        path += f" H{x(moment)} V{y(value)}"
    path += f" H{left + plot_w}"
    dots = "".join(f'<circle cx="{x(m)}" cy="{y(v)}" r="3" class="chart-dot"/>' for m, v in points)
    first, last = (m.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d") for m in (points[0][0], until))
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc">'
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(description)}</desc>'
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'class="chart-axis"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="chart-axis"/>'
        f'<text x="{left - 6}" y="{top + 10}" class="chart-label" text-anchor="end">'
        f"{fmt.format(y1)}</text>"
        f'<text x="{left - 6}" y="{top + plot_h}" class="chart-label" text-anchor="end">'
        f"{fmt.format(y0)}</text>"
        f'<text x="{left}" y="{height - 8}" class="chart-label">{first}</text>'
        f'<text x="{left + plot_w}" y="{height - 8}" class="chart-label" text-anchor="end">'
        f"{last}</text>"
        f'<path d="{path}" class="chart-line"/>{dots}</svg>'
    )
