"""Simple horizontal bar charts drawn as SVG on the server. The numbers are also given in a
table beside each chart, which is what screen readers read; the SVG is decorative."""

from __future__ import annotations

from markupsafe import Markup

BAR_HEIGHT = 22
GAP = 8
WIDTH = 320


def bars(items: list[tuple[str, int]]) -> Markup:
    """An SVG with one bar per (label, value), longest first as given."""
    top = max((value for _label, value in items), default=0) or 1
    height = len(items) * (BAR_HEIGHT + GAP) + GAP
    rows = []
    for index, (label, value) in enumerate(items):
        y = GAP + index * (BAR_HEIGHT + GAP)
        length = max(2, round((WIDTH - 60) * value / top)) if value else 0
        rows.append(
            Markup(
                "<g><title>{label}: {value}</title>"
                '<rect class="bar" x="0" y="{y}" width="{length}" height="{h}" rx="3"></rect>'
                '<text class="bar-value" x="{tx}" y="{ty}">{value}</text></g>'
            ).format(
                label=label,
                value=value,
                y=y,
                length=length,
                h=BAR_HEIGHT,
                tx=length + 6,
                ty=y + BAR_HEIGHT - 6,
            )
        )
    return Markup(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'aria-hidden="true" focusable="false">{rows}</svg>'
    ).format(w=WIDTH, h=height, rows=Markup("").join(rows))
