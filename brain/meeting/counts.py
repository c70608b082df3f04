"""How many Meeting Point posts have each value of each facet: the counts beside the listing's
filters, and the overview page's figures. Those over every post are counted in SQL (and kept
while the Meeting Point is unchanged); a selection's are counted in the facet table
(brain.meeting.queries.FacetTable), the SQL count being what the tests compare them with."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from brain.extensions import db
from brain.meeting import version
from brain.meeting.queries import (
    COLUMN_FACETS,
    FACETS,
    TAG_FACETS,
    FacetTable,
    Selection,
    facet_table,
    hidden_cooperations,
    id_list,
)
from brain.models import Cooperation, CooperationTag

# The counts over every post (the home page with nothing chosen) change only with the
# Meeting Point's details.
_ALL_COUNTS = version.Kept(size=4)


def facet_counts(selection: Selection) -> dict[str, dict[str, int]]:
    """Facet counts for *selection* (what counted_in_sql counts). Those over every post are
    kept in the process while the Meeting Point's change counter stays where it was; a
    selection's are counted in the facet table, kept likewise."""
    if selection.narrows():
        return counted_in_table(facet_table(), selection)
    counts = _ALL_COUNTS.get("all", lambda: counted_in_sql(selection))
    return {facet: dict(values) for facet, values in counts.items()}


def counted_in_table(table: FacetTable, selection: Selection) -> dict[str, dict[str, int]]:
    """counted_in_sql's counts, from the table: for each facet, the posts the words and the
    *other* facets' chosen values allow, ANDed with each value's posts."""
    matched = table.matched(selection)
    chosen = table.chosen(selection)
    counts = {}
    for facet in FACETS:
        allowed = matched
        for other, posts in chosen.items():
            if other != facet:
                allowed &= posts
        counts[facet] = {
            value: count
            for value, posts in table.masks[facet].items()
            if (count := (allowed & posts).bit_count())
        }
    return counts


def counted_in_sql(selection: Selection) -> dict[str, dict[str, int]]:
    """For each facet, value → how many posts the page would list if that value were added
    to the others chosen. Chosen values of the same facet are left out while counting it, so
    the count is what ticking that value would show (OR within a facet).

    With no facet chosen (and no words, or words that match most posts), every tag row is
    counted, and the hidden posts (and those the words miss) are taken out by subtraction:
    they are few, and counting them apart costs less than testing every row against them. A
    selection's own subqueries make its rows few, so there they are left out as the listing
    leaves them out."""
    counts: dict[str, Counter] = {facet: Counter() for facet in FACETS}
    unmatched = selection.unmatched()
    everything = not any(selection.chosen.values()) and (
        selection.topic_ids is None or unmatched is not None
    )
    left_out: set[int] = set()
    if everything:
        left_out = set(
            db.session.scalars(select(Cooperation.topic_id).where(hidden_cooperations()))
        )
        left_out |= unmatched or set()
    passes = [(1, None)] + ([(-1, id_list(left_out))] if left_out else [])
    # Tag facets with nothing chosen all count over the same posts (every chosen facet
    # applied), so one query groups them by (facet, value); a facet with values chosen counts
    # over the posts the *other* facets allow, in a query of its own.
    unchosen = [facet for facet in TAG_FACETS if not selection.chosen.get(facet)]
    groups = [(unchosen, None)] if unchosen else []
    groups += [([facet], facet) for facet in TAG_FACETS if selection.chosen.get(facet)]
    # Plain Core statements on the session's connection: the rows are tuples, and the ORM's
    # statement handling would cost more than some of these counts.
    connection = db.session.connection()
    for sign, among in passes:
        for facet in COLUMN_FACETS:
            column = getattr(Cooperation, facet)
            where = selection.conditions(skip=facet, visible=not everything)
            if among is not None:
                where.append(Cooperation.topic_id.in_(among))
            rows = connection.execute(
                select(column, func.count()).select_from(Cooperation).where(*where).group_by(column)
            )
            for value, count in rows:
                counts[facet][value] += sign * count
        for facets, skip in groups:
            where = selection.conditions(CooperationTag.topic_id, skip=skip, visible=not everything)
            if among is not None:  # the few left-out posts' tags, found by topic
                where.append(CooperationTag.topic_id.in_(among))
            elif len(facets) < len(TAG_FACETS):  # (all of them: no condition to test per row)
                where.append(CooperationTag.facet.in_(facets))
            rows = connection.execute(
                select(CooperationTag.facet, CooperationTag.value, func.count())
                .where(*where)
                .group_by(CooperationTag.facet, CooperationTag.value)
            )
            for facet, value, count in rows:
                if facet in facets:
                    counts[facet][value] += sign * count
    return {
        facet: {value: count for value, count in values.items() if count > 0}
        for facet, values in counts.items()
    }


def overview() -> dict[str, dict[str, int]]:
    """Counts by status, theme and region over every visible cooperation post."""
    return {
        facet: values
        for facet, values in facet_counts(Selection()).items()
        if facet in ("status", "theme", "region", "kind")
    }
