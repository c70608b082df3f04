"""Suggested matches: the open posts most likely to answer a post (offers and experiences for
a request, requests for an offer or an experience) or a member's profile, ranked by the
details they share and by text similarity, with the reasons shown beside each.

Matching reads only candidates that share a tag with what is wanted (through the
(facet, value) index), never the whole table."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal, or_, select

from brain.extensions import db
from brain.meeting import version
from brain.meeting.profiles import profile_interests
from brain.meeting.queries import TAG_FACETS, hidden_topics, id_list, shown_with_topics
from brain.models import Cooperation, CooperationTag, Topic, User
from brain.vocabulary import meeting as catalog
from brain.vocabulary.meeting import Kind

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

# The ranked suggestions change only with the Meeting Point's details.
_RANKED = version.Kept(size=2000)


@dataclass
class Suggestion:
    cooperation: Cooperation
    score: float
    reasons: list[str]


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


def suggestions_for_member(member: User, limit: int = 5) -> list[Suggestion]:
    """Open offers and requests that match what *member*'s profile says about them."""
    wanted = profile_interests(member)
    if not wanted:
        return []
    kinds = tuple(kind.value for kind in (Kind.OFFER, Kind.REQUEST))
    return rank(wanted, kinds, exclude_author=member.id, limit=limit)


def details_of(cooperation: Cooperation) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = {"modality": {cooperation.modality}}
    for tag in cooperation.tags:
        if tag.facet != "sdg":
            wanted.setdefault(tag.facet, set()).add(tag.value)
    return wanted


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
            shown_with_topics().where(
                Cooperation.topic_id.in_([topic_id for _score, topic_id in top])
            )
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
        Cooperation.topic_id.not_in(hidden_topics()),
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
        .where(Cooperation.topic_id.in_(id_list(candidate_ids)), *looking)
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


# --- why a post is suggested -----------------------------------------------------------------


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


def _reasons(shared: dict[str, list[str]]) -> list[str]:
    from brain.web import language_name

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
    for value in shared.get("language", []):
        reasons.append(_("shared language: %(language)s", language=language_name(value)))
    if shared.get("text"):
        reasons.append(_("similar words"))
    return reasons
