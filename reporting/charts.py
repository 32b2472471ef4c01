"""Charts built from plain data, so they can be tested without a request.

Pages load plotly.js once from static files and embed each figure with
`figure_html`; sparklines are small inline SVGs rendered here.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

import plotly.graph_objects as go
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from pmf import rag

ACTUAL_COLOUR = "#1d4f91"
TARGET_COLOUR = "#0b0c0c"
AMBER_FILL = "rgba(255, 191, 71, 0.35)"

Band = tuple[Decimal, Decimal]


class TrendPoint(NamedTuple):
    """One period of a KPI chart: its label, actual, target line(s) and Amber band(s)."""

    label: str
    actual: Decimal | None
    targets: tuple[Decimal | None, ...] = ()
    bands: tuple[Band, ...] = ()


def _floats(values) -> list[float | None]:
    return [None if value is None else float(value) for value in values]


def _column(points: Sequence[TrendPoint], attribute: str, index: int) -> list:
    """Return the `index`th entry of each point's `attribute` tuple, or None where a point has fewer."""
    column = []
    for point in points:
        entries = getattr(point, attribute)
        column.append(entries[index] if index < len(entries) else None)
    return column


def kpi_trend_figure(
    points: Sequence[TrendPoint], *, value_title: str = "", target_names: Sequence[str] = ("Target",)
) -> go.Figure:
    """Draw actuals as a line with markers, the target line(s) and the shaded Amber band(s)."""
    labels = [point.label for point in points]
    figure = go.Figure()

    band_count = max((len(point.bands) for point in points), default=0)
    for index in range(band_count):
        edges = _column(points, "bands", index)
        low = _floats(edge[0] if edge else None for edge in edges)
        high = _floats(edge[1] if edge else None for edge in edges)
        # The high edge fills down to the low edge drawn just before it.
        figure.add_trace(go.Scatter(
            x=labels, y=low, mode="lines", line={"width": 0}, hoverinfo="skip",
            showlegend=False, legendgroup="amber", name="Amber band edge",
        ))
        figure.add_trace(go.Scatter(
            x=labels, y=high, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=AMBER_FILL,
            hoverinfo="skip", showlegend=index == 0, legendgroup="amber", name="Amber tolerance band",
        ))

    target_count = max((len(point.targets) for point in points), default=0)
    for index in range(target_count):
        name = target_names[index] if index < len(target_names) else f"Target {index + 1}"
        figure.add_trace(go.Scatter(
            x=labels, y=_floats(_column(points, "targets", index)), mode="lines", name=name,
            line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
        ))

    figure.add_trace(go.Scatter(
        x=labels, y=_floats(point.actual for point in points), mode="lines+markers", name="Actual",
        line={"color": ACTUAL_COLOUR, "width": 3}, marker={"size": 8},
    ))
    figure.update_layout(
        template="simple_white",
        height=360,
        margin={"l": 60, "r": 20, "t": 20, "b": 60},
        legend={"orientation": "h", "y": -0.2},
        hovermode="x unified",
        yaxis={"title": {"text": value_title}},
        xaxis={"type": "category"},
    )
    return figure


def figure_html(figure: go.Figure) -> SafeString:
    """Return the figure as a <div> and a script. The page must load plotly.js before it."""
    html = figure.to_html(
        include_plotlyjs=False,
        full_html=False,
        config={"displaylogo": False, "responsive": True},
    )
    return SafeString(html)


SPARK_WIDTH = 120
SPARK_HEIGHT = 28
SPARK_PAD = 3


def _spark_coordinates(values: Sequence[Decimal | None]) -> list[tuple[float, float] | None]:
    present = [value for value in values if value is not None]
    if not present:
        return [None] * len(values)
    low, high = min(present), max(present)
    spread = float(high - low)
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(len(values) - 1, 1)
    inner_height = SPARK_HEIGHT - 2 * SPARK_PAD

    coordinates = []
    for position, value in enumerate(values):
        if value is None:
            coordinates.append(None)
            continue
        share = float(value - low) / spread if spread else 0.5
        coordinates.append((SPARK_PAD + position * step, SPARK_PAD + (1 - share) * inner_height))
    return coordinates


def _segments(coordinates) -> list[list[tuple[float, float]]]:
    """Split the points into runs of present values, because a missing value breaks the line."""
    segments, current = [], []
    for point in coordinates:
        if point is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(point)
    if current:
        segments.append(current)
    return segments


def sparkline_svg(values: Sequence[Decimal | None], *, description: str) -> SafeString:
    """Draw `values` (oldest first) as a small inline SVG line whose text alternative is `description`."""
    coordinates = _spark_coordinates(values)
    segments = _segments(coordinates)
    lines = format_html_join(
        "", '<polyline points="{}" />',
        ((" ".join(f"{x:.1f},{y:.1f}" for x, y in segment),) for segment in segments),
    )
    marker = ""
    last = next((point for point in reversed(coordinates) if point is not None), None)
    if last is not None:
        marker = format_html('<circle cx="{}" cy="{}" r="2.5" />', f"{last[0]:.1f}", f"{last[1]:.1f}")
    return format_html(
        '<svg class="sparkline" role="img" width="{}" height="{}" viewBox="0 0 {} {}" '
        'aria-label="{}"><title>{}</title><g fill="none" stroke="currentColor" stroke-width="1.5">'
        "{}</g><g fill=\"currentColor\">{}</g></svg>",
        SPARK_WIDTH, SPARK_HEIGHT, SPARK_WIDTH, SPARK_HEIGHT, description, description, lines, marker,
    )
