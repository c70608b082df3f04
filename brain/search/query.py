"""From what a person typed to a Whoosh query, without Whoosh's query parser.

The parser raises on some inputs and lets ``*`` or ``field:`` scan the whole index, so the text
is read here instead: words and "quoted phrases" must all match, -word or -"phrase" excludes,
and everything else is just text. A post is indexed in its own language's field only, so the
query is one alternative per content language: every wanted item analysed as that language.

Glossary terms (brain.search.glossary) stand for their concept. A concept matches, in each
language, any of its terms there, and, ranked lower, the terms of its narrower concepts; the
same query therefore finds the same posts whichever language or listed variant it is typed
in. The typed language's terms count fully, the other languages' less (EXPANSION_BOOST). A
term of several words matches when its words come in order, close together (PROXIMITY), in
one sentence; the posts that name a concept so are tagged when they are indexed
(brain.search.concepts), and a concept is searched as its tag. A "quoted" term is matched
exactly, in every language as typed and as each equivalent in its own language, without
narrower concepts: quoting asks for those words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from whoosh import matching
from whoosh import query as q

from brain.search import concepts, glossary, sequences
from brain.search.analysis import fold, remembered_terms, terms
from brain.search.concepts import PROXIMITY
from brain.search.schema import LANGUAGES, POSTS, Fields
from brain.search.sequences import SEQUENCE_COLUMN

MAX_QUERY_CHARS = 300
MAX_ITEMS = 12
EXPANSION_BOOST = 0.4  # a concept's terms in the other languages rank below the typed one's
NARROWER_BOOST = 0.2  # narrower concepts rank below the concept's own terms

_ITEM = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass
class Item:
    text: str
    phrase: bool = False
    excluded: bool = False


@dataclass
class ParsedQuery:
    items: list[Item] = field(default_factory=list)
    truncated: bool = False

    @property
    def wanted(self) -> list[Item]:
        return [item for item in self.items if not item.excluded]

    @property
    def excluded(self) -> list[Item]:
        return [item for item in self.items if item.excluded]


@dataclass
class Expansion:
    """A glossary concept found in the query and what it added, to be shown to the searcher."""

    written: str  # as typed
    equivalents: list[tuple[str, str]]  # (language, term): the concept's other terms
    narrower: list[dict[str, str]] = field(default_factory=list)  # language → preferred term
    quoted: bool = False  # a quoted phrase: the equivalents were searched as exact phrases


def parse(text: str) -> ParsedQuery:
    truncated = len(text) > MAX_QUERY_CHARS
    parsed = ParsedQuery(truncated=truncated)
    for match in _ITEM.finditer(text[:MAX_QUERY_CHARS]):
        phrase_minus, phrase, word_minus, word = match.groups()
        if phrase is not None:
            item = Item(phrase.strip(), phrase=True, excluded=bool(phrase_minus))
        else:
            item = Item(word, excluded=bool(word_minus))
        if item.text and any(terms(item.text, lang) for lang in LANGUAGES):
            parsed.items.append(item)
    if len(parsed.items) > MAX_ITEMS:
        parsed.items, parsed.truncated = parsed.items[:MAX_ITEMS], True
    return parsed


def _match(
    text: str,
    language: str,
    fields: Fields,
    boost: float = 1.0,
    slop: int = 1,
) -> q.Query | None:
    """*text* in *language*'s fields: a word, or words in order at most *slop* apart."""
    words = remembered_terms(text, language)
    if not words:
        return None
    if len(words) == 1:
        return q.Term(fields.text(language), words[0], boost=boost)
    return _Phrase(fields.text(language), words, slop=slop, boost=boost)


class _Phrase(q.Phrase):
    """Whoosh's Phrase (each word after the previous one, at most *slop* words on), found
    without positions: the posts that have all the words, and among them those whose line of
    words holds them in order (brain.search.sequences). brain.search.vectors answers it with
    arrays; this matcher is for anything that asks Whoosh."""

    def matcher(self, searcher, context=None):
        fieldname = self.fieldname
        if fieldname not in searcher.schema:
            return matching.NullMatcher()
        field = searcher.schema[fieldname]
        reader = searcher.reader()
        if not reader.has_column(SEQUENCE_COLUMN):
            return matching.NullMatcher()
        words, frequencies = [], []
        for word in self.words:
            try:
                word = field.to_bytes(word)
            except ValueError:
                return matching.NullMatcher()
            if (fieldname, word) not in reader:  # a word absent from the field: no match
                return matching.NullMatcher()
            words.append(q.Term(fieldname, word))
            frequencies.append(reader.doc_frequency(fieldname, word))
        matchers = [word.matcher(searcher, context) for word in words]
        rarest_first = sorted(range(len(words)), key=frequencies.__getitem__)
        lines = reader.column_reader(SEQUENCE_COLUMN)
        found = _NearMatcher(matchers, sequences.finder(tuple(self.words), self.slop), lines)
        found.start(rarest_first)
        return matching.WrappingMatcher(found, boost=self.boost) if self.boost != 1.0 else found


class _NearMatcher(matching.Matcher):
    """The posts that have all the words and whose line of words *holds* them, scored
    as the sum of the words' scores as Whoosh's intersection does. One loop leaps the words'
    postings to the next post that has them all."""

    def __init__(self, matchers: list, holds, lines):
        self._ms = matchers  # in the phrase's order
        self._holds = holds
        self._lines = lines
        self._order = list(range(len(matchers)))  # the leaps' order
        self._active = False

    def start(self, rarest_first: list[int]) -> None:
        self._order = rarest_first
        self._active = all(m.is_active() for m in self._ms)
        if self._active:
            self._find()

    @property
    def _first(self):
        return self._ms[self._order[0]]

    def _find(self) -> None:
        """From the current post of the rarest word on, stop at the next one that matches."""
        first = self._first
        rest = [self._ms[i] for i in self._order[1:]]
        while first.is_active():
            target = first.id()
            for m in rest:
                if m.id() < target:
                    m.skip_to(target)
                    if not m.is_active():
                        self._active = False
                        return
                if m.id() > target:
                    first.skip_to(m.id())
                    break
            else:
                if self._holds(self._lines[target]):
                    return
                first.next()
        self._active = False

    def is_active(self) -> bool:
        return self._active

    def id(self) -> int:
        return self._first.id()

    def next(self) -> bool:
        self._first.next()
        self._find()
        return False

    def skip_to(self, target: int) -> bool:
        if self._active and self._first.id() < target:
            self._first.skip_to(target)
            self._find()
        return False

    def score(self) -> float:
        return sum(m.score() for m in self._ms)

    def weight(self) -> float:
        return sum(m.weight() for m in self._ms)

    def children(self) -> list:
        return list(self._ms)

    def copy(self) -> _NearMatcher:
        found = _NearMatcher([m.copy() for m in self._ms], self._holds, self._lines)
        found.start(self._order)
        return found

    def replace(self, minquality=0):
        return self if self._active else matching.NullMatcher()


def _all_of(parts: list[q.Query | None]) -> q.Query | None:
    parts = [part for part in parts if part is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else q.And(parts)


def _any_of(parts: list[q.Query | None]) -> q.Query | None:
    """Any of *parts*, scored as the sum of those that match. Nested alternatives are
    flattened and a term or phrase listed twice (two concepts of one family share terms: "social
    economy" is one, and a narrower concept of the social and solidarity economy) is searched
    once with the two boosts added, which scores the same."""
    merged: dict[tuple, q.Query] = {}
    for part in _alternatives(parts):
        key = _leaf_key(part)
        if key in merged:
            merged[key] = merged[key].with_boost(merged[key].boost + part.boost)
        else:
            merged[key] = part
    found = list(merged.values())
    if not found:
        return None
    return found[0] if len(found) == 1 else q.Or(found)


def _alternatives(parts: list[q.Query | None]) -> Iterator[q.Query]:
    for part in parts:
        if type(part) is q.Or and part.boost == 1.0 and not part.minmatch and not part.scale:
            yield from _alternatives(part.subqueries)
        elif part is not None:
            yield part


def _leaf_key(part: q.Query) -> tuple:
    if type(part) is q.Term:
        return ("term", part.fieldname, part.text)
    if type(part) is _Phrase:
        return ("phrase", part.fieldname, tuple(part.words), part.slop)
    return ("other", id(part))


@dataclass
class _Concept:
    """A glossary term found in the query: the words it covers and the concepts it names."""

    match: glossary.Match
    written: str
    quoted: bool
    narrower: tuple[glossary.Concept, ...]

    def has_terms_in(self, language: str) -> bool:
        """Whether the concept, or one of its narrower concepts, can be named in *language*."""
        return any(c.terms.get(language) for c in (*self.match.concepts, *self.narrower))

    def expansions(self) -> list[Expansion]:
        typed = fold(self.written)
        return [
            Expansion(
                self.written,
                [
                    (lang, term)
                    for lang in LANGUAGES
                    for term in concept.terms.get(lang, ())
                    if fold(term) != typed
                ],
                [
                    {lang: c.terms[lang][0] for lang in LANGUAGES if c.terms.get(lang)}
                    for c in self.narrower
                ],
                quoted=self.quoted,
            )
            for concept in self.match.concepts
        ]


def _concepts(wanted: list[Item]) -> tuple[list[_Concept | Item], list[_Concept]]:
    """*wanted* with each glossary term in it replaced by its concept(s): terms are looked
    for among consecutive plain words, and as whole quoted phrases."""
    parts: list[_Concept | Item] = []
    found: list[_Concept] = []

    def add(match: glossary.Match, written: str, quoted: bool) -> None:
        narrower = () if quoted else _narrower(match)
        concept = _Concept(match, written, quoted, narrower)
        parts.append(concept)
        found.append(concept)

    run: list[Item] = []

    def end_run() -> None:
        words = [item.text for item in run]
        position = 0
        for match in glossary.find(words):
            parts.extend(run[position : match.start])
            add(match, " ".join(words[match.start : match.start + match.length]), False)
            position = match.start + match.length
        parts.extend(run[position:])
        run.clear()

    for item in wanted:
        if not item.phrase:
            run.append(item)
            continue
        end_run()
        match = glossary.lookup(item.text)
        if match is None:
            parts.append(item)
        else:
            add(match, item.text, True)
    end_run()
    return parts, found


def _narrower(match: glossary.Match) -> tuple[glossary.Concept, ...]:
    own = {concept.key for concept in match.concepts}
    found: dict[str, glossary.Concept] = {}
    for concept in match.concepts:
        for child in glossary.narrower(concept):
            if child.key not in own:
                found.setdefault(child.key, child)
    return tuple(found.values())


def _is_name(item: Item) -> bool:
    """A word written the same in every language: a name or a number."""
    return item.text[:1].isupper() or any(char.isdigit() for char in item.text)


def _stop_word_anywhere(item: Item) -> bool:
    return any(not terms(item.text, lang) for lang in LANGUAGES)


def _kin_together(parts: list[_Concept | Item]) -> list[list[_Concept] | Item]:
    """*parts*, the concepts of one family (glossary.kin) joined where the first of them
    stands: "savings groups tontines" lists kinds of one idea, and a post about either is
    wanted. Concepts of different families must all be found ("fair trade coffee")."""
    joined: list[list[_Concept] | Item] = []
    families: list[list[_Concept]] = []
    for part in parts:
        if isinstance(part, Item):
            joined.append(part)
            continue
        family = next(
            (
                f
                for f in families
                if any(
                    glossary.kin(a, b)
                    for c in f
                    for a in c.match.concepts
                    for b in part.match.concepts
                )
            ),
            None,
        )
        if family is None:
            families.append([part])
            joined.append(families[-1])
        else:
            family.append(part)
    return joined


def _concept_match(concept: _Concept, language: str, fields: Fields) -> q.Query | None:
    """Posts in *language* naming *concept* (brain.search.concepts tagged them when they were
    indexed): its terms in the typed language count fully, the other languages' less, a
    narrower concept's less again. A quoted concept asks for its terms exactly, and for the
    words as typed."""
    if not concept.has_terms_in(language):  # a concept with no term in this language: as typed
        slop = 1 if concept.quoted else PROXIMITY
        return _match(concept.written, language, fields, slop=slop)
    field = fields.concepts(language)
    own = 1.0 if language in concept.match.languages else EXPANSION_BOOST
    parts: list[q.Query | None] = []
    for listed in concept.match.concepts:
        if concept.quoted:
            parts.append(q.Term(field, concepts.exactly(listed.key), boost=own))
        else:
            parts.append(q.Term(field, concepts.proximate(listed.key), boost=own))
            if concept.narrower:
                narrower = concepts.narrower_of(listed.key)
                parts.append(q.Term(field, narrower, boost=NARROWER_BOOST))
    if concept.quoted:
        parts.append(_match(concept.written, language, fields, slop=1))
    return _any_of(parts)


def build(parsed: ParsedQuery, fields: Fields = POSTS) -> tuple[q.Query | None, list[Expansion]]:
    """The Whoosh query for *parsed*, and the glossary expansions it contains; *fields* names
    the fields each language is searched in (the posts' by default)."""
    wanted = parsed.wanted
    if not wanted:
        return None, []
    parts, concepts = _concepts(wanted)
    parts = _kin_together(parts)
    if concepts:
        # Beside a concept, which is searched in every language, a word that some language
        # stops ("in", "de", "a") would be required in the others' posts: it is left out.
        parts = [p for p in parts if not (isinstance(p, Item) and _stop_word_anywhere(p))]

    # The languages the query is written in, as its glossary terms tell: there, its other
    # words are required too. Elsewhere they are words of another language (a French post on
    # housing cooperatives does not say "policy"), so they only rank what the concepts find;
    # names and numbers (capitalised, or with digits: "Puebla", "2030") are required in all.
    typed_in = frozenset().union(*(c.match.languages for c in concepts)) if concepts else None
    alternatives = []
    for language in LANGUAGES:
        required: list[q.Query | None] = []
        optional: list[q.Query | None] = []
        for part in parts:
            if isinstance(part, Item):
                word = _match(part.text, language, fields)
                if typed_in is None or language in typed_in or _is_name(part):
                    required.append(word)
                else:
                    optional.append(word)
                continue
            either = _any_of([_concept_match(c, language, fields) for c in part])
            if either is None:
                break  # the concept cannot be found in this language
            required.append(either)
        else:
            wanted = _all_of(required)
            extra = _any_of(optional)
            alternatives.append(wanted if extra is None else q.AndMaybe(wanted, extra))

    expansions = [expansion for concept in concepts for expansion in concept.expansions()]
    query = _any_of(alternatives)
    if query is None:
        return None, expansions
    unwanted = _any_of(
        [_match(item.text, lang, fields) for item in parsed.excluded for lang in LANGUAGES]
    )
    if unwanted is not None:
        query = q.AndNot(query, unwanted)
    return query, expansions
