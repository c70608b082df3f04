"""Simple horizontal bar charts drawn as SVG on the server. The numbers are also given in a
table beside each chart, which is what screen readers read; the SVG is decorative.

Each row is a label above a bar with its number at the bar's end. The colours come from
static/css/meeting.css (classes ``chart-bar tone-N``; the text takes the page's colour, so it
stays readable in dark mode). A right-to-left page gets the mirror image: the bars grow from
the right, and the labels and numbers are laid out right-to-left, so nothing overlaps."""

from __future__ import annotations

from flask_babel import format_number
from markupsafe import Markup

WIDTH = 320
LABEL_HEIGHT = 18  # the label's line, above its bar
BAR_HEIGHT = 16
GAP = 10  # between one row and the next
VALUE_ROOM = 48  # kept free beyond the longest bar for its number
TONES = 6  # colours cycled through, one per row (static/css/meeting.css)


# Labels are drawn at 13 px, at most about 8 px a letter: a longer label would run out of the chart
# (on a phone the chart is scaled down with its text). The table beside it has the whole name.
LABEL_CHARS = int(WIDTH / 8)


def _fitted(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def bars(items: list[tuple[str, int]], direction: str = "ltr") -> Markup:
    """An SVG with one labelled bar per (label, value), in the order given."""
    rtl = direction == "rtl"

    def x(position: float) -> float:  # distance from the start edge → SVG coordinate
        return WIDTH - position if rtl else position

    top = max((value for _label, value in items), default=0) or 1
    row = LABEL_HEIGHT + BAR_HEIGHT + GAP
    height = len(items) * row
    rows = []
    for index, (label, value) in enumerate(items):
        y = index * row
        length = max(2, round((WIDTH - VALUE_ROOM) * value / top)) if value else 0
        rows.append(
            Markup(
                '<g class="tone-{tone}">'
                '<text class="chart-label" x="{lx}" y="{ly}">{label}</text>'
                '<rect class="chart-bar" x="{bx}" y="{by}" width="{length}" height="{h}" rx="3">'
                "</rect>"
                '<text class="chart-value" x="{vx}" y="{vy}">{number}</text></g>'
            ).format(
                tone=index % TONES + 1,
                label=_fitted(label),
                lx=x(0),
                ly=y + LABEL_HEIGHT - 5,
                bx=WIDTH - length if rtl else 0,
                by=y + LABEL_HEIGHT,
                length=length,
                h=BAR_HEIGHT,
                vx=x(length + 6),
                vy=y + LABEL_HEIGHT + BAR_HEIGHT - 3,
                number=format_number(value),
            )
        )
    # text-anchor "start" (the default) is the right end of a right-to-left text: with the
    # direction set on the SVG itself, labels and numbers start at the bar's edge and run
    # away from it in both directions.
    return Markup(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" direction="{d}" '
        'aria-hidden="true" focusable="false">{rows}</svg>'
    ).format(w=WIDTH, h=height, d="rtl" if rtl else "ltr", rows=Markup("").join(rows))
