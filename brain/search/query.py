"""From what a person typed to a Whoosh query, without Whoosh's query parser.

The parser raises on some inputs and lets ``*`` or ``field:`` scan the whole index, so the text
is read here instead: words and "quoted phrases" must all match, -word or -"phrase" excludes,
and everything else is just text. Each post is matched in its own language: the whole query is
analysed once per content language and searched in that language's field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from whoosh import query as q

from brain.search import glossary
from brain.search.analysis import terms
from brain.search.schema import LANGUAGES, content_field

MAX_QUERY_CHARS = 300
MAX_ITEMS = 12
EXPANSION_BOOST = 0.4  # equivalents found through the glossary rank below exact matches

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
    """Glossary equivalents added to the query, to be shown to the searcher."""

    written: str
    equivalents: list[tuple[str, str]]  # (language, term)


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


FieldOf = Callable[[str], str]  # language → the field its text is indexed in


def _match(text: str, language: str, field_of: FieldOf, boost: float = 1.0) -> q.Query | None:
    """*text* in *language*'s field: a term, or a phrase when it analyses to several terms."""
    words = terms(text, language)
    if not words:
        return None
    fieldname = field_of(language)
    if len(words) == 1:
        return q.Term(fieldname, words[0], boost=boost)
    return q.Phrase(fieldname, words, boost=boost)


def _all_of(parts: list[q.Query | None]) -> q.Query | None:
    parts = [part for part in parts if part is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else q.And(parts)


def _any_of(parts: list[q.Query | None]) -> q.Query | None:
    parts = [part for part in parts if part is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else q.Or(parts)


def build(
    parsed: ParsedQuery, field_of: FieldOf = content_field
) -> tuple[q.Query | None, list[Expansion]]:
    """The Whoosh query for *parsed*, and the glossary expansions it contains; *field_of*
    names the field each language is searched in (the posts' by default)."""
    wanted = parsed.wanted
    if not wanted:
        return None, []
    # Glossary terms are looked for among consecutive plain words.
    words = [item.text for item in wanted if not item.phrase]
    word_positions = [i for i, item in enumerate(wanted) if not item.phrase]
    found = glossary.find(words)

    exact = _any_of(
        [_all_of([_match(item.text, lang, field_of) for item in wanted]) for lang in LANGUAGES]
    )
    alternatives = [exact]
    expansions = []
    for match in found:
        covered = set(word_positions[match.start : match.start + match.length])
        rest = [item for i, item in enumerate(wanted) if i not in covered]
        written = " ".join(words[match.start : match.start + match.length])
        added = []
        for lang, lang_terms in match.concept.terms.items():
            equivalents = _any_of(
                [_match(term, lang, field_of, EXPANSION_BOOST) for term in lang_terms]
            )
            if equivalents is None:
                continue
            alternatives.append(
                _all_of([equivalents, *[_match(item.text, lang, field_of) for item in rest]])
            )
            added.extend((lang, term) for term in lang_terms)
        expansions.append(Expansion(written, added))

    query = _any_of(alternatives)
    if query is None:
        return None, expansions
    unwanted = _any_of(
        [_match(item.text, lang, field_of) for item in parsed.excluded for lang in LANGUAGES]
    )
    if unwanted is not None:
        query = q.AndNot(query, unwanted)
    return query, expansions
