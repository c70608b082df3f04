"""Meeting Point reads for the pages: the filtered list of posts, the table of every post's
facet values that a selection is found and counted in, and the pieces the other reads share
(which posts are hidden, how a long list of ids is bound). The facet counts are in
brain.meeting.counts, the suggested matches in brain.meeting.matching."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Integer, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import joinedload, selectinload

from brain.extensions import db
from brain.meeting import version
from brain.models import Cooperation, CooperationTag, Interest, Topic

PAGE = 20
TAG_FACETS = ("theme", "country", "region", "sdg", "language")
COLUMN_FACETS = ("kind", "status", "modality")
FACETS = COLUMN_FACETS + TAG_FACETS
LISTED_IDS = 500
WALKED = 200  # the fewest topics read at a time when walking them by activity


def hidden_topics():
    """Ids of hidden topics: few, and read through a partial index."""
    return select(Topic.id).where(Topic.hidden_at.is_not(None))


def hidden_cooperations():
    return Cooperation.topic_id.in_(hidden_topics())


def id_list(ids: set[int]):
    """*ids* for ``column.in_()``. A few are listed, so the database looks each one up; many
    (a text query may match thousands of posts) are bound as one parameter, since an IN list
    would be rendered and bound one parameter per id in every statement."""
    ordered = sorted(ids)
    if len(ordered) <= LISTED_IDS:
        return ordered or [0]
    if db.session.get_bind().dialect.name == "postgresql":
        return select(func.unnest(literal(ordered, ARRAY(Integer))))
    return select(func.json_each(json.dumps(ordered)).table_valued("value").c.value)


def with_topics():
    """Cooperation posts with their topics, for ordering by the topics' activity."""
    return select(Cooperation).join(Topic, Topic.id == Cooperation.topic_id)


def shown_with_topics():
    """with_topics(), loading what a listed post shows: its topic, author and tags."""
    return with_topics().options(
        joinedload(Cooperation.topic).joinedload(Topic.author),
        selectinload(Cooperation.tags),
    )


@dataclass
class Selection:
    """The facet values chosen on the page: facet → set of values (OR within a facet, AND
    across facets), plus topic ids from a text query (None: no text query)."""

    chosen: dict[str, set[str]] = field(default_factory=dict)
    topic_ids: set[int] | None = None
    _unmatched: set[int] | None = field(default=None, init=False, repr=False)
    _settled: bool = field(default=False, init=False, repr=False)
    _matched: tuple[FacetTable, int] | None = field(default=None, init=False, repr=False)

    def narrows(self) -> bool:
        """Whether anything is chosen (a facet value, or words)."""
        return self.topic_ids is not None or any(self.chosen.values())

    def unmatched(self) -> set[int] | None:
        """When words match most cooperation posts, the few they do not match (so the
        condition is a short NOT IN); None when listing the matches is shorter."""
        if self.topic_ids is None or len(self.topic_ids) <= LISTED_IDS:
            return None
        if not self._settled:
            self._settled = True
            posts = db.session.scalar(select(func.count()).select_from(Cooperation)) or 0
            if posts - len(self.topic_ids) <= LISTED_IDS:  # so few are missed
                every = set(db.session.scalars(select(Cooperation.topic_id)))
                self._unmatched = every - self.topic_ids
        return self._unmatched

    def conditions(
        self, topic_id=Cooperation.topic_id, skip: str | None = None, visible: bool = True
    ) -> list:
        """The selection as conditions on *topic_id*, a column of cooperation topic ids
        (the cooperations' own, or the tags'), leaving out the facet *skip*. Unless
        *visible* is false, hidden posts are left out (and so are the few posts that words
        do not match, when they match most). Each is a subquery on an index, so counting
        needs no join with the (wide) topics table."""
        where = [topic_id.not_in(hidden_topics())] if visible else []
        for facet, values in self.chosen.items():
            if facet == skip or not values:
                continue
            if facet in COLUMN_FACETS:
                chosen = getattr(Cooperation, facet).in_(sorted(values))
                if topic_id is Cooperation.topic_id:
                    where.append(chosen)
                else:
                    where.append(topic_id.in_(select(Cooperation.topic_id).where(chosen)))
            else:
                tagged = select(CooperationTag.topic_id).where(
                    CooperationTag.facet == facet, CooperationTag.value.in_(sorted(values))
                )
                where.append(topic_id.in_(tagged))
        unmatched = self.unmatched()
        if unmatched is not None:
            if visible and unmatched:
                where.append(topic_id.not_in(id_list(unmatched)))
        elif self.topic_ids is not None:
            where.append(topic_id.in_(id_list(self.topic_ids)))
        return where


class FacetTable:
    """Every visible cooperation post's facet values as sets of bits, one bit per post: a
    selection is found and counted in it with a few ANDs of Python ints, instead of binding
    the thousands of ids a frequent word matches into SQL statements. Read in a few grouped
    statements and kept in each process while the Meeting Point's counter stays where it was
    (a new post, new details or status, a post hidden, moved or deleted move it: brain.
    meeting.version), so hidden posts are never in it, in any process, once it has moved."""

    def __init__(self, topic_ids, values):
        """*topic_ids*: the visible posts; *values*: (facet, value, the ids of the posts
        that have it, hidden ones too) for each value of each facet."""
        self.topic_ids: list[int] = sorted(topic_ids)  # bit → topic id
        self.bits: dict[int, int] = {topic_id: n for n, topic_id in enumerate(self.topic_ids)}
        self.every = (1 << len(self.topic_ids)) - 1
        # facet → value → the bits of the posts that have it
        self.masks: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        for facet, value, ids in values:
            if facet in self.masks:
                self.masks[facet][value] = self.of(ids)

    def of(self, topic_ids) -> int:
        """The bits of *topic_ids* (those not in the table, as hidden posts, are left out)."""
        ones = bytearray(b"0" * len(self.topic_ids))  # bit 0 first: turned around below
        for bit in map(self.bits.get, topic_ids):
            if bit is not None:
                ones[bit] = 49  # "1"
        return int(ones[::-1], 2) if ones else 0

    def matched(self, selection: Selection) -> int:
        """The posts the selection's words match (every post without words)."""
        if selection.topic_ids is None:
            return self.every
        if selection._matched is None or selection._matched[0] is not self:
            selection._matched = (self, self.of(selection.topic_ids))
        return selection._matched[1]

    def chosen(self, selection: Selection) -> dict[str, int]:
        """Facet → the posts that have one of its chosen values (facets with values chosen)."""
        allowed = {}
        for facet, values in selection.chosen.items():
            if values:
                masks = self.masks.get(facet, {})
                allowed[facet] = 0
                for value in values:
                    allowed[facet] |= masks.get(value, 0)
        return allowed

    def selected(self, selection: Selection) -> int:
        """The posts the page lists: matched by the words and by every chosen facet."""
        bits = self.matched(selection)
        for allowed in self.chosen(selection).values():
            bits &= allowed
        return bits

    def ids(self, bits: int) -> list[int]:
        """The topic ids of *bits*."""
        ones = bin(bits)[:1:-1]  # bit 0 first
        found, at = [], ones.find("1")
        while at >= 0:
            found.append(self.topic_ids[at])
            at = ones.find("1", at + 1)
        return found

    def __len__(self) -> int:
        return len(self.topic_ids)


_TABLE = version.Kept(size=2)


def facet_table() -> FacetTable:
    """The table for the Meeting Point as it is (kept while its counter does not move)."""
    return _TABLE.get("table", _read_table)


def _read_table() -> FacetTable:
    """Each value's posts in one row, their ids aggregated by the database (some 80,000 tag
    rows for 10,000 posts would cost far more to fetch one by one); the hidden posts are
    left out in the table, by their absence from the visible ones."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"

    def ids_of(column):  # (a JSON array is parsed faster than text split at commas)
        return func.array_agg(column) if postgresql else func.json_group_array(column)

    def parsed(ids) -> list[int]:
        return ids if postgresql else json.loads(ids)

    connection = db.session.connection()  # Core rows: tuples, without the ORM's handling
    visible = connection.execute(
        select(ids_of(Cooperation.topic_id)).where(Cooperation.topic_id.not_in(hidden_topics()))
    ).scalar()
    # Grouped as the two indexes on cooperations have them (status and kind, modality): the
    # database reads the index alone, where grouping by the three would sort every row.
    by_value: dict[tuple[str, str], list[int]] = {}
    for facets in (("status", "kind"), ("modality",)):
        columns = [getattr(Cooperation, facet) for facet in facets]
        for *values, ids in connection.execute(
            select(*columns, ids_of(Cooperation.topic_id)).group_by(*columns)
        ):
            ids = parsed(ids)
            for facet, value in zip(facets, values, strict=True):
                by_value.setdefault((facet, value), []).extend(ids)
    tags = connection.execute(
        select(
            CooperationTag.facet, CooperationTag.value, ids_of(CooperationTag.topic_id)
        ).group_by(CooperationTag.facet, CooperationTag.value)
    )
    return FacetTable(
        parsed(visible) if visible else [],
        [(facet, value, ids) for (facet, value), ids in by_value.items()]
        + [(facet, value, parsed(ids)) for facet, value, ids in tags],
    )


def listing(
    selection: Selection, page: int, counts: dict[str, dict[str, int]] | None = None
) -> tuple[list[Cooperation], int]:
    """A page of the selected posts, most recently active first, and how many there are.
    A selection is found in the facet table (facet_table); with nothing chosen, the page is
    read in SQL, and its total from the facet *counts* when given (every post has one kind)."""
    if selection.narrows():
        return _selected_page(selection, page)
    return listing_in_sql(selection, page, counts)


def listing_in_sql(
    selection: Selection, page: int, counts: dict[str, dict[str, int]] | None = None
) -> tuple[list[Cooperation], int]:
    """listing() with the selection as SQL conditions: the page with nothing chosen (the
    newest posts, read on the index of topics by activity), and what the tests compare the
    facet table with. Given the selection's facet *counts*, the total is read from them
    instead of counted again: every post has one kind, and each kind's count applies the
    other facets."""
    where = selection.conditions()
    if counts is not None:
        kinds = selection.chosen.get("kind") or counts["kind"].keys()
        total = sum(counts["kind"].get(kind, 0) for kind in kinds)
    else:
        total = db.session.scalar(select(func.count()).select_from(Cooperation).where(*where))
    rows = db.session.scalars(
        shown_with_topics()
        .where(*where)
        .order_by(Topic.last_activity_at.desc(), Topic.id.desc())
        .limit(PAGE)
        .offset((page - 1) * PAGE)
    ).all()
    return list(rows), total or 0


def _selected_page(selection: Selection, page: int) -> tuple[list[Cooperation], int]:
    table = facet_table()
    selected = table.selected(selection)
    total = selected.bit_count()
    skipped = (page - 1) * PAGE
    if total <= skipped:
        return [], total
    order = Topic.last_activity_at.desc(), Topic.id.desc()
    if total <= LISTED_IDS:  # few: the database finds each one and sorts them
        rows = db.session.scalars(
            shown_with_topics()
            .where(Cooperation.topic_id.in_(table.ids(selected)), Topic.hidden_at.is_(None))
            .order_by(*order)
            .limit(PAGE)
            .offset(skipped)
        ).all()
        return list(rows), total
    page_ids = _walk(table, selected, total, skipped + PAGE)[skipped:]
    rows = db.session.scalars(
        shown_with_topics()
        .where(Cooperation.topic_id.in_(page_ids), Topic.hidden_at.is_(None))
        .order_by(*order)
    ).all()
    return list(rows), total


def _walk(table: FacetTable, selected: int, total: int, wanted: int) -> list[int]:
    """The first *wanted* selected topic ids, most recently active first, found by reading the
    cooperation topics' ids in that order, a stretch at a time, and keeping the selected ones:
    many are selected (more than LISTED_IDS), so the first stretch usually holds the page.
    Binding thousands of ids instead would cost every statement their weight. The ids come
    from the index of topics by activity alone (hidden posts are not in the table)."""
    share = total / max(len(table), 1)
    bits = table.bits
    found: list[int] = []
    read = 0
    while len(found) < wanted:
        # Enough topics for the rest of the page at the selection's share, and some more.
        stretch = max(WALKED, int(1.5 * (wanted - len(found)) / share))
        topic_ids = db.session.scalars(
            select(Topic.id)
            .join(Cooperation, Cooperation.topic_id == Topic.id)
            .order_by(Topic.last_activity_at.desc(), Topic.id.desc())
            .limit(stretch)
            .offset(read)
        ).all()
        read += len(topic_ids)
        for topic_id in topic_ids:
            bit = bits.get(topic_id)
            if bit is not None and selected >> bit & 1:
                found.append(topic_id)
        if len(topic_ids) < stretch:
            break
    return found[:wanted]


def interest_in(topic_id: int, interest_id: int) -> Interest | None:
    """The expression of interest *interest_id*, if it was made in the post *topic_id*."""
    return db.session.scalar(
        select(Interest).where(Interest.id == interest_id, Interest.topic_id == topic_id)
    )
