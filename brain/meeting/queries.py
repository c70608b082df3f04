"""Meeting Point reads for the pages: the filtered list of posts, and the pieces the other
reads share (which posts are hidden, how a long list of ids is bound). The facet counts are
in brain.meeting.counts, the suggested matches in brain.meeting.matching."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Integer, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import joinedload, selectinload

from brain.extensions import db
from brain.models import Cooperation, CooperationTag, Interest, Topic

PAGE = 20
TAG_FACETS = ("theme", "country", "region", "sdg", "language")
COLUMN_FACETS = ("kind", "status", "modality")
FACETS = COLUMN_FACETS + TAG_FACETS
LISTED_IDS = 500


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


def listing(
    selection: Selection, page: int, counts: dict[str, dict[str, int]] | None = None
) -> tuple[list[Cooperation], int]:
    """A page of the selected posts, most recently active first, and how many there are.
    Given the selection's facet *counts*, the total is read from them instead of counted
    again: every post has one kind, and each kind's count applies the other facets."""
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


def interest_in(topic_id: int, interest_id: int) -> Interest | None:
    """The expression of interest *interest_id*, if it was made in the post *topic_id*."""
    return db.session.scalar(
        select(Interest).where(Interest.id == interest_id, Interest.topic_id == topic_id)
    )
