"""The listing's filters: which values each facet may take in the query string, and what the
filter form lists for each facet (labels in the reader's language, counts, what is ticked)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from brain.i18n import content_language_codes
from brain.meeting.queries import FACETS, Selection
from brain.vocabulary import meeting as catalog
from brain.vocabulary.meeting import Status
from brain.web import language_name

# The values each facet of the listing may take in the query string.
FACET_VALUES = {
    "kind": {kind.value for kind in catalog.Kind},
    "status": {status.value for status in Status},
    "modality": set(catalog.MODALITIES),
    "theme": set(catalog.THEMES),
    "country": set(catalog.REGION_OF),
    "region": set(catalog.REGIONS),
    "sdg": {str(number) for number in catalog.SDGS},
    "language": set(content_language_codes()),
}


# The facets in the order the page shows them, with their titles and value labels.
FACET_TITLES = (
    ("kind", _l("Kind")),
    ("status", _l("Status")),
    ("theme", _l("Theme")),
    ("modality", _l("Form of cooperation")),
    ("region", _l("Region")),
    ("country", _l("Country")),
    ("sdg", _l("SDG")),
    ("language", _l("Working language")),
)
NAMED_BY = {
    "region": catalog.region_name,
    "country": catalog.country_name,
    "language": language_name,
}
FACET_SHOWN = 6  # values listed before "more" (a country list runs to 150)


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    checked: bool


@dataclass
class FacetGroup:
    facet: str
    title: str
    options: list[FacetOption]  # shown: the values with most posts, and every chosen one
    more: list[FacetOption]  # the rest, behind a disclosure


def chosen_in(args: MultiDict) -> dict[str, set[str]]:
    """The facet values chosen in a query string; unknown values are ignored."""
    chosen = {}
    for facet in FACETS:
        values = {value for value in args.getlist(facet)[:50] if value}
        chosen[facet] = values & FACET_VALUES[facet]
    return chosen


def facet_groups(counts: dict, selection: Selection) -> list[FacetGroup]:
    """What the filter form lists: each facet's values, most posts first, with their counts;
    a chosen value stays listed (to be unticked) even when it would give nothing."""
    groups = []
    for facet, title in FACET_TITLES:
        chosen = selection.chosen.get(facet, set())
        found = dict.fromkeys(chosen, 0) | counts[facet]
        label = NAMED_BY.get(facet) or catalog.labels(facet).__getitem__
        options = [
            FacetOption(value, label(value), count, value in chosen)
            for value, count in found.items()
        ]
        options.sort(key=lambda option: (-option.count, option.label))
        shown = [o for n, o in enumerate(options) if n < FACET_SHOWN or o.checked]
        more = [o for n, o in enumerate(options) if n >= FACET_SHOWN and not o.checked]
        if len(more) == 1:  # a disclosure for one value hides nothing worth hiding
            shown, more = options, []
        if options:
            groups.append(FacetGroup(facet, str(title), shown, more))
    return groups
