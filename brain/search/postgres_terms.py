"""What the PostgreSQL backend stores and asks for, as PostgreSQL's text search types: a post's
``tsvector`` and a query's ``tsquery``, both made here from our own analysis (never by
``to_tsvector``/``to_tsquery``, and never from user text).

Each lexeme is prefixed with its language ("fr:cooper", "es:c:sse"): a post is analysed as its
own language only, and a query asks, per language, for that language's words and concept tags
(brain.search.query builds one alternative per language). The whole query is then one
``tsquery`` answered by one GIN index. Words never hold ":", so a concept tag ("c:…", "x:…",
"a:…", brain.search.concepts) never meets a word.

Positions keep what phrases need: a phrase's words follow each other (``<->``), words near
each other are at most PROXIMITY apart (``<1>`` or ``<2>`` or ``<3>``), and never across a
sentence's end — the analysis puts sentences SENTENCE_GAP positions apart; here that gap shrinks
to SENTENCE_STEP, more than any proximity, so that long posts stay under PostgreSQL's last
position (16,383).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from whoosh import query as q

from brain.search import concepts
from brain.search.analysis import analysed
from brain.search.concepts import PROXIMITY
from brain.search.query import NARROWER_BOOST
from brain.search.schema import (
    LANGUAGES,
    concept_field,
    content_field,
    meeting_concept_field,
    meeting_field,
)

SENTENCE_STEP = PROXIMITY + 2
# A narrower concept's tags are labelled C (the others keep the default, D), and ts_rank
# weighs them as brain.search.query boosts them. ts_rank's weights are for D, C, B, A.
NARROWER_LABEL = "C"
RANK_WEIGHTS = f"{{1.0, {NARROWER_BOOST}, 1.0, 1.0}}"
LAST_POSITION = 16_383  # PostgreSQL keeps positions up to this one
POSITIONS_KEPT = 256  # PostgreSQL keeps this many positions of a lexeme in a post
LEXEME_BYTES = 2_046  # longer lexemes are refused by PostgreSQL (no query can hold one)
# A phrase whose words may be PROXIMITY apart is an alternative per distance and word:
# PROXIMITY ** (words - 1) branches. Longer ones ask for their words anywhere in the post.
NEAR_WORDS = 5

# Field name (brain.search.schema) → (language, whether it holds concept tags)
_FIELDS = {
    name(language): (language, tags)
    for language in LANGUAGES
    for name, tags in (
        (content_field, False),
        (meeting_field, False),
        (concept_field, True),
        (meeting_concept_field, True),
    )
}


def quoted(lexeme: str) -> str:
    if "'" in lexeme or "\\" in lexeme:
        lexeme = lexeme.replace("\\", "\\\\").replace("'", "''")
    return f"'{lexeme}'"


def _fits(lexeme: str) -> bool:
    return len(lexeme) * 4 <= LEXEME_BYTES or len(lexeme.encode("utf-8")) <= LEXEME_BYTES


def vector(text: str, language: str) -> str:
    """The ``tsvector`` (as its text form) of a post's *text* analysed as *language* (one of
    brain.search.schema.LANGUAGES): its words with positions, and its concept tags."""
    positions: dict[str, list[int]] = {}
    previous, at = None, 0
    for word, position in analysed(text, language):
        at += 1 if previous is None or position == previous + 1 else SENTENCE_STEP
        previous = position
        positions.setdefault(f"{language}:{word}", []).append(min(at, LAST_POSITION))
    # A tag counts once per place the concept is named; it has no place of its own. A
    # narrower concept's tag is labelled NARROWER_LABEL, for ranking (NARROWER_WEIGHT).
    labels: dict[str, str] = {}
    for tag, count in Counter(concepts.tags(text, language)).items():
        positions[f"{language}:{tag}"] = list(range(1, min(count, POSITIONS_KEPT) + 1))
        if tag.startswith(concepts.NARROWER):
            labels[f"{language}:{tag}"] = NARROWER_LABEL
    parts = []
    for lexeme, found in positions.items():
        if not _fits(lexeme):
            continue
        if found[-1] == LAST_POSITION:  # else each is after the one before, once
            found = sorted(set(found))
        label = labels.get(lexeme, "")
        places = ",".join(f"{p}{label}" for p in found[:POSITIONS_KEPT])
        parts.append(f"{quoted(lexeme)}:{places}")
    return " ".join(parts)


@dataclass
class Translated:
    """A query of brain.search.query as PostgreSQL's: what must match, and for ranking, its
    wanted lexemes and the boost each language's posts get (the glossary's equivalents in
    another language rank below the typed language's terms)."""

    # What must match, one tsquery per alternative of the query's top (a query is one
    # alternative per language): through the GIN index each is asked apart, so a post an
    # alternative of plain words matches is not checked again against another's phrases (a
    # phrase needs every candidate post's positions read). postgres._newest_matches.
    alternatives: list[str] = field(default_factory=list)
    # The same with each phrase's words in any order and place: what the planner's estimate
    # of the matches is asked for. The planner takes a phrase's words as independent, and so
    # expects a phrase of words that go together ("supply chain") in a tenth of the posts it
    # is in; its words are in more posts than it is.
    loose_alternatives: list[str] = field(default_factory=list)
    wanted: set[str] = field(default_factory=set)
    boosts: dict[str, float] = field(default_factory=dict)  # language → its best boost
    highlighted: list[tuple[str, bool, str]] = field(default_factory=list)  # (lang, tag?, text)

    @property
    def match(self) -> str:
        """The whole query, one ``tsquery``."""
        return "(" + " | ".join(self.alternatives) + ")"

    @property
    def loose(self) -> str:
        return "(" + " | ".join(self.loose_alternatives) + ")"

    def wanted_by_language(self) -> dict[str, set[str]]:
        """The wanted lexemes by language: what ranking counts (phrases and proximity are the
        match's business; counting them again per post would cost more than the match)."""
        found: dict[str, set[str]] = {}
        for lexeme in self.wanted:
            found.setdefault(lexeme[1 : lexeme.index(":")], set()).add(lexeme)
        return found

    def _wants(self, language: str, lexemes: list[str], boost: float, narrower: bool) -> None:
        self.wanted.update(lexemes)
        if not narrower:  # a narrower concept's tags are ranked by their label
            self.boosts[language] = max(self.boosts.get(language, 0.0), boost)


def translate(query: q.Query) -> Translated:
    """*query* (brain.search.query.build's tree) as a ``tsquery``, and as its alternatives
    (a query is one alternative per language, brain.search.query)."""
    found = Translated()
    top = type(query) is q.Or
    parts = query.subqueries if top else [query]
    boost = query.boost if top else 1.0
    found.alternatives = [_tsquery(part, found, boost, ranked=True) for part in parts]
    scratch = Translated()
    found.loose_alternatives = [
        _tsquery(part, scratch, 1.0, ranked=False, loose=True) for part in parts
    ]
    return found


def _lexeme(fieldname: str, text: str) -> str:
    language, _tags = _FIELDS[fieldname]
    return f"{language}:{text}"


def _tsquery(
    node: q.Query, found: Translated, boost: float, ranked: bool, loose: bool = False
) -> str:
    boost *= node.boost
    if type(node) is q.Term:
        language, tags = _FIELDS[node.fieldname]
        found.highlighted.append((language, tags, node.text))
        lexeme = _lexeme(node.fieldname, node.text)
        text = quoted(lexeme) if _fits(lexeme) else "'-'"  # never in a post: matches nothing
        if ranked:
            narrower = tags and node.text.startswith(concepts.NARROWER)
            found._wants(language, [text], boost, narrower)
        return text
    if isinstance(node, q.Phrase):
        language, _tags = _FIELDS[node.fieldname]
        found.highlighted.extend((language, False, word) for word in node.words)
        words = [quoted(_lexeme(node.fieldname, w)) for w in node.words]
        if ranked:
            found._wants(language, words, boost, narrower=False)
        if loose:
            return "(" + " | ".join(words) + ")"
        return f"({_phrase(words, node.slop)})"
    if isinstance(node, q.AndNot):
        wanted = _tsquery(node.a, found, boost, ranked, loose)
        unwanted = _tsquery(node.b, found, boost, ranked=False)  # loose, it would ask less
        return f"({wanted} & !{unwanted})"
    if isinstance(node, q.AndMaybe):
        _tsquery(node.b, found, boost, ranked=False)  # only ranks: not asked for
        return _tsquery(node.a, found, boost, ranked, loose)
    if isinstance(node, q.And | q.Or):
        joiner = " & " if isinstance(node, q.And) else " | "
        parts = [_tsquery(part, found, boost, ranked, loose) for part in node.subqueries]
        return "(" + joiner.join(parts) + ")"
    raise TypeError(f"no tsquery for {type(node).__name__}")


def _phrase(words: list[str], slop: int) -> str:
    """*words* in order, each at most *slop* positions after the one before."""
    if slop <= 1:
        return " <-> ".join(words)
    if len(words) > NEAR_WORDS:
        return " & ".join(words)
    chain = words[0]
    for word in words[1:]:
        chain = "(" + " | ".join(f"{chain} <{d}> {word}" for d in range(1, slop + 1)) + ")"
    return chain
