"""Meeting Point reads: the filtered list with its facet counts, the overview figures, and the
suggested matches. Everything is counted in SQL; matching reads only candidates that share a
tag with the post (through the (facet, value) index), never the whole table."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, case, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import joinedload, selectinload

from brain.extensions import db
from brain.i18n import content_language_codes
from brain.meeting import version
from brain.models import Cooperation, CooperationTag, Topic, User
from brain.ops.text import LIST_SEPARATORS
from brain.vocabulary import meeting as catalog
from brain.vocabulary.meeting import Kind

PAGE = 20
TAG_FACETS = ("theme", "country", "region", "sdg", "language")
COLUMN_FACETS = ("kind", "status", "modality")
FACETS = COLUMN_FACETS + TAG_FACETS
# What each kind of post looks for.
COMPLEMENT = {
    Kind.REQUEST: (Kind.OFFER, Kind.EXPERIENCE),
    Kind.OFFER: (Kind.REQUEST,),
    Kind.EXPERIENCE: (Kind.REQUEST,),
}
# How much each shared detail weighs in a suggestion's score.
WEIGHTS = {"theme": 3.0, "modality": 2.0, "country": 2.0, "region": 1.0, "language": 1.5}
TEXT_WEIGHT = 2.0
SELECTIVE_FACETS = ("theme", "country")  # details that alone make a post a candidate
CANDIDATES = 200
LISTED_IDS = 500


def _hidden_topics():
    """Ids of hidden topics: few, and read through a partial index."""
    return select(Topic.id).where(Topic.hidden_at.is_not(None))


def _hidden_cooperations():
    return Cooperation.topic_id.in_(_hidden_topics())


def _id_list(ids: set[int]):
    """*ids* for ``column.in_()``. A few are listed, so the database looks each one up; many
    (a text query may match thousands of posts) are bound as one parameter, since an IN list
    would be rendered and bound one parameter per id in every statement."""
    ordered = sorted(ids)
    if len(ordered) <= LISTED_IDS:
        return ordered or [0]
    if db.session.get_bind().dialect.name == "postgresql":
        return select(func.unnest(literal(ordered, ARRAY(Integer))))
    return select(func.json_each(json.dumps(ordered)).table_valued("value").c.value)


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
        where = [topic_id.not_in(_hidden_topics())] if visible else []
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
                where.append(topic_id.not_in(_id_list(unmatched)))
        elif self.topic_ids is not None:
            where.append(topic_id.in_(_id_list(self.topic_ids)))
        return where


def _base():
    return select(Cooperation).join(Topic, Topic.id == Cooperation.topic_id)


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
        _base()
        .options(
            joinedload(Cooperation.topic).joinedload(Topic.author),
            selectinload(Cooperation.tags),
        )
        .where(*where)
        .order_by(Topic.last_activity_at.desc(), Topic.id.desc())
        .limit(PAGE)
        .offset((page - 1) * PAGE)
    ).all()
    return list(rows), total or 0


# The counts over every post (the home page with nothing chosen) and the ranked
# suggestions change only with the Meeting Point's details.
_ALL_COUNTS = version.Kept(size=4)
_RANKED = version.Kept(size=2000)


def facet_counts(selection: Selection) -> dict[str, dict[str, int]]:
    """Facet counts for *selection* (see _facet_counts); those over every post are kept in
    the process while the Meeting Point's change counter stays where it was."""
    if any(selection.chosen.values()) or selection.topic_ids is not None:
        return _facet_counts(selection)
    counts = _ALL_COUNTS.get("all", lambda: _facet_counts(selection))
    return {facet: dict(values) for facet, values in counts.items()}


def _facet_counts(selection: Selection) -> dict[str, dict[str, int]]:
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
            db.session.scalars(select(Cooperation.topic_id).where(_hidden_cooperations()))
        )
        left_out |= unmatched or set()
    passes = [(1, None)] + ([(-1, _id_list(left_out))] if left_out else [])
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


# --- suggested matches -------------------------------------------------------------------


@dataclass
class Suggestion:
    cooperation: Cooperation
    score: float
    reasons: list[str]


def _reasons(shared: dict[str, list[str]]) -> list[str]:
    reasons = []
    for value in shared.get("theme", []):
        reasons.append(_("same theme: %(theme)s", theme=catalog.THEMES[value]))
    if shared.get("modality"):
        value = shared["modality"][0]
        reasons.append(_("same form: %(modality)s", modality=catalog.MODALITIES[value]))
    for value in shared.get("country", []):
        reasons.append(_("same country: %(country)s", country=catalog.country_name(value)))
    if not shared.get("country"):
        for value in shared.get("region", []):
            reasons.append(_("same region: %(region)s", region=catalog.region_name(value)))
    from brain.web import language_name

    for value in shared.get("language", []):
        reasons.append(_("shared language: %(language)s", language=language_name(value)))
    if shared.get("text"):
        reasons.append(_("similar words"))
    return reasons


def rank(
    wanted: dict[str, set[str]],
    kinds: tuple[str, ...],
    *,
    exclude_topic: int | None = None,
    exclude_author: int | None = None,
    text_scores: dict[int, float] | None = None,
    limit: int = 5,
) -> list[Suggestion]:
    """Posts of *kinds* still looking for partners, ranked by the details they share with
    *wanted* (facet → values, "modality" included) and by text similarity.

    Cost: candidates come from the tag index — posts sharing a wanted theme or country (or,
    when fewer than *limit* do, any wanted tag), the CANDIDATES whose shared tags weigh most
    — plus posts of the same form and the text matches; only those are scored.
    """
    text_scores = text_scores or {}
    key = (
        tuple(sorted((facet, tuple(sorted(values))) for facet, values in wanted.items())),
        kinds,
        exclude_topic,
        exclude_author,
        tuple(sorted(text_scores.items())),
        limit,
    )
    top = _RANKED.get(
        key, lambda: _ranked(wanted, kinds, exclude_topic, exclude_author, text_scores, limit)
    )
    best_text = max(text_scores.values(), default=0.0) or 1.0
    loaded = {
        cooperation.topic_id: cooperation
        for cooperation in db.session.scalars(
            _base()
            .options(
                joinedload(Cooperation.topic).joinedload(Topic.author),
                selectinload(Cooperation.tags),
            )
            .where(Cooperation.topic_id.in_([topic_id for _score, topic_id in top]))
        )
    }
    return [
        Suggestion(
            loaded[topic_id],
            score,
            _reasons(_shared(loaded[topic_id], wanted, text_scores.get(topic_id, 0.0) / best_text)),
        )
        for score, topic_id in top
        if topic_id in loaded
    ]


def _ranked(
    wanted: dict[str, set[str]],
    kinds: tuple[str, ...],
    exclude_topic: int | None,
    exclude_author: int | None,
    text_scores: dict[int, float],
    limit: int,
) -> list[tuple[float, int]]:
    """rank()'s work in the database: the best (score, topic id) pairs."""
    pairs = {
        facet: and_(CooperationTag.facet == facet, CooperationTag.value.in_(sorted(values)))
        for facet, values in wanted.items()
        if facet in TAG_FACETS and values
    }
    looking = [
        Cooperation.status.in_([s.value for s in catalog.LOOKING]),
        Cooperation.kind.in_(list(kinds)),
        Cooperation.topic_id.not_in(_hidden_topics()),
    ]
    if exclude_topic is not None:
        looking.append(Cooperation.topic_id != exclude_topic)
    if exclude_author is not None:
        own = select(Topic.id).where(Topic.author_id == exclude_author)
        looking.append(Cooperation.topic_id.not_in(own))
    candidate_ids: set[int] = set(text_scores)
    # A region or a language is shared by thousands of posts: counting them for every post
    # would cost more than the rest of the page. Posts sharing only those are candidates
    # only when too few share a theme or a country.
    selective = [pair for facet, pair in pairs.items() if facet in SELECTIVE_FACETS]
    sharing = _sharing(selective, looking) if selective else []
    if len(sharing) < limit and len(selective) < len(pairs):
        sharing = _sharing(list(pairs.values()), looking)
    candidate_ids.update(sharing)
    if wanted.get("modality"):
        rows = db.session.scalars(
            select(Cooperation.topic_id)
            .where(Cooperation.modality.in_(sorted(wanted["modality"])), *looking)
            .order_by(Cooperation.topic_id.desc())
            .limit(CANDIDATES // 4)
        )
        candidate_ids.update(rows)
    if not candidate_ids:
        return []
    # Every candidate's weight of shared tags, in one grouped query over the candidates'
    # own tags; the few shown are then loaded and explained.
    matched = case((or_(*pairs.values()), _tag_weight()), else_=0.0) if pairs else literal(0.0)
    rows = db.session.execute(
        select(Cooperation.topic_id, Cooperation.modality, func.sum(matched))
        .outerjoin(CooperationTag, CooperationTag.topic_id == Cooperation.topic_id)
        .where(Cooperation.topic_id.in_(_id_list(candidate_ids)), *looking)
        .group_by(Cooperation.topic_id, Cooperation.modality)
    )
    best_text = max(text_scores.values(), default=0.0) or 1.0
    scored = []
    for topic_id, modality, shared_weight in rows:
        score = (shared_weight or 0.0) + TEXT_WEIGHT * text_scores.get(topic_id, 0.0) / best_text
        if modality in wanted.get("modality", ()):
            score += WEIGHTS["modality"]
        if score > 0:
            scored.append((score, topic_id))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return scored[:limit]


def _shared(cooperation: Cooperation, wanted: dict[str, set[str]], similarity: float) -> dict:
    """What *cooperation* shares with *wanted*: facet → values (the reasons shown)."""
    shared: dict[str, list[str]] = {}
    for tag in cooperation.tags:
        if tag.value in wanted.get(tag.facet, ()):
            shared.setdefault(tag.facet, []).append(tag.value)
    if cooperation.modality in wanted.get("modality", ()):
        shared["modality"] = [cooperation.modality]
    if similarity > 0.2:
        shared["text"] = ["1"]
    return shared


def _tag_weight():
    return case(
        {facet: WEIGHTS[facet] for facet in TAG_FACETS if facet in WEIGHTS},
        value=CooperationTag.facet,
        else_=0.0,
    )


def _sharing(pairs: list, looking: list) -> list[int]:
    """The CANDIDATES posts meeting *looking* whose tags among *pairs* weigh most."""
    shared_weight = func.sum(_tag_weight()).label("shared")
    return list(
        db.session.scalars(
            select(CooperationTag.topic_id)
            .join(Cooperation, Cooperation.topic_id == CooperationTag.topic_id)
            .where(or_(*pairs), *looking)
            .group_by(CooperationTag.topic_id)
            .order_by(shared_weight.desc(), CooperationTag.topic_id.desc())
            .limit(CANDIDATES)
        )
    )


def details_of(cooperation: Cooperation) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = {"modality": {cooperation.modality}}
    for tag in cooperation.tags:
        if tag.facet != "sdg":
            wanted.setdefault(tag.facet, set()).add(tag.value)
    return wanted


def suggestions_for(cooperation: Cooperation, text_scores=None, limit: int = 5):
    """Open posts that could answer *cooperation* (offers and experiences for a request,
    requests for an offer or an experience)."""
    return rank(
        details_of(cooperation),
        tuple(kind.value for kind in COMPLEMENT[Kind(cooperation.kind)]),
        exclude_topic=cooperation.topic_id,
        exclude_author=cooperation.topic.author_id,
        text_scores=text_scores,
        limit=limit,
    )


def profile_interests(member: User) -> dict[str, set[str]]:
    """What a member's profile says they could offer or look for, as Meeting Point tags."""
    wanted: dict[str, set[str]] = {}
    if member.country and member.country in catalog.REGION_OF:
        wanted["country"] = {member.country}
        wanted["region"] = {catalog.REGION_OF[member.country]}
    languages = [code for code in member.spoken_languages if code in content_language_codes()]
    if languages:
        wanted["language"] = set(languages)
    themes = themes_in(member.expertise or "")
    if themes:
        wanted["theme"] = themes
    return wanted


def themes_in(expertise: str) -> set[str]:
    """Themes whose code or label, in any interface language, shares a word of four letters
    or more with the member's areas of expertise ("finanzas sociales" → social-finance)."""
    words = {word for word in _words(expertise) if len(word) >= 4} - GENERIC_WORDS
    return {code for code, label_words in _theme_words().items() if words & label_words}


# Words in many theme labels that say nothing about the theme ("social" is in four of them).
GENERIC_WORDS = frozenset(
    [
        "social",
        "sociale",
        "sociales",
        "sociais",
        "sociaux",
        "economic",
        "economics",
        "economy",
        "économique",
        "économie",
        "economía",
        "económico",
        "económica",
        "econômico",
        "economia",
        "development",
        "développement",
        "desarrollo",
        "desenvolvimento",
        "services",
        "servicios",
        "serviços",
        "local",
        "locale",
        "locales",
        "and",
        "et",
        "y",
        "e",
        "des",
        "les",
        "los",
        "las",
        "dos",
        "das",
        "with",
        "pour",
        "para",
    ]
)


def _words(text: str) -> list[str]:
    return [word.strip(".:()'’") for word in LIST_SEPARATORS.sub(" ", text.casefold()).split()]


@cache
def _theme_words() -> dict[str, frozenset[str]]:
    """Each theme's words in every interface language (the catalogs are fixed for the life
    of the process, so this is worked out once)."""
    from brain.i18n import INTERFACE_LANGUAGES

    found = {code: set(code.split("-")) for code in catalog.THEMES}
    for language in INTERFACE_LANGUAGES:
        for code, label in catalog.labels_in(language.code, "theme").items():
            found[code].update(w for w in _words(label) if len(w) >= 4)
    return {code: frozenset(words) for code, words in found.items()}


def suggestions_for_member(member: User, limit: int = 5) -> list[Suggestion]:
    wanted = profile_interests(member)
    if not wanted:
        return []
    kinds = tuple(kind.value for kind in (Kind.OFFER, Kind.REQUEST))
    return rank(wanted, kinds, exclude_author=member.id, limit=limit)
