"""Glossary concepts found in a post, when it is indexed.

A query names a concept (brain.search.query); the posts that speak of it are found by one index
term per concept instead of a union of every term of the concept, in five languages, matched
as phrases at every search. A post is tagged, in its own language, with:

- ``c:<concept>`` for each place one of the concept's terms appears: its words in order, each at
  most PROXIMITY positions after the one before, in one sentence (the analyzer puts sentences
  far apart), and not inside a longer term that names another concept (a homonym: "banco
  comunitário" in "banco comunitário de sementes");
- ``x:<concept>`` for each place a term appears exactly, its words adjacent (stop words not
  counted): what a quoted phrase asks for;
- ``a:<concept>`` for each place a term of one of its narrower concepts appears (a tontine is a
  kind of savings group): what a query for the broader concept finds, ranked lower.

The tags follow the glossary: when the glossary changes, every post is indexed again
(``signature()`` is kept beside the index, brain.search.index). Matching words at indexing time
costs a few dozen microseconds a post; it spares a search from walking the postings of every
word of every term of the concept and comparing their positions, which made a concept ten to
twenty times slower than a plain word.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from whoosh.analysis import Analyzer, Token

from brain.search import glossary
from brain.search.analysis import analysed

# The words of a multi-word term may be this many positions apart (1: adjacent), stop words
# not counted: "fair trade" finds "fair and ethical trade", not "trade fair".
PROXIMITY = 3
EXACT = 1
TAGGED_LANGUAGES = glossary.LANGUAGES

PROXIMATE, EXACTLY, NARROWER = "c:", "x:", "a:"


def proximate(key: str) -> str:
    return PROXIMATE + key


def exactly(key: str) -> str:
    return EXACTLY + key


def narrower_of(key: str) -> str:
    return NARROWER + key


@dataclass(frozen=True)
class _Term:
    words: tuple[str, ...]  # analysed
    concepts: tuple[str, ...]  # the keys of the concepts listing it
    homonyms: tuple[tuple[str, ...], ...]  # longer terms in which it names another concept
    needed: frozenset[str]  # its words, as a set: a post lacking one cannot name it


@cache
def _terms_by_first_word(path: Path, language: str) -> dict[str, tuple[_Term, ...]]:
    by_key = {concept.key: concept for concept in glossary.concepts(path)}
    found: dict[str, list[_Term]] = defaultdict(list)
    for words, owners in glossary._tables(path)[language].items():
        longer: set[tuple[str, ...]] = set()
        for owner in owners:
            for other in glossary.homonyms(by_key[owner.key], language, path):
                if other[: len(words)] == words:
                    longer.add(other)
        found[words[0]].append(
            _Term(
                words,
                tuple(owner.key for owner in owners),
                tuple(sorted(longer)),
                frozenset(words),
            )
        )
    return {word: tuple(terms) for word, terms in found.items()}


@cache
def _ancestors(path: Path) -> dict[str, tuple[str, ...]]:
    """Each concept's key → the keys of every concept it is a kind of, however far up."""
    found: dict[str, set[str]] = defaultdict(set)
    for concept in glossary.concepts(path):
        for child in glossary.narrower(concept, path):
            found[child.key].add(concept.key)
    return {key: tuple(sorted(parents)) for key, parents in found.items()}


@cache
def signature(path: Path | None = None) -> str:
    """A digest of the glossary the tags were made with."""
    data = (path or glossary.GLOSSARY).read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _chains(words: tuple[str, ...], positions: dict[str, list[int]], slop: int) -> list:
    """(start, end) of each place *words* come in order, each at most *slop* positions after
    the one before (as brain.search.query's proximity matcher reads them)."""
    chains = {(p, p) for p in positions[words[0]]}
    for word in words[1:]:
        following = set()
        listed = positions[word]
        for start, end in chains:
            j = bisect_right(listed, end)
            while j < len(listed) and listed[j] - end <= slop:
                following.add((start, listed[j]))
                j += 1
        if not following:
            return []
        chains = following
    return sorted(chains)


def _inside(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    return any(span[0] <= end and start <= span[1] for start, end in others)


def tags(text: str, language: str, path: Path | None = None) -> list[str]:
    """The concept tags of *text*, written in *language*: one per place a concept is named."""
    if language not in TAGGED_LANGUAGES or not text:
        return []
    path = path or glossary.GLOSSARY
    table = _terms_by_first_word(path, language)
    positions: dict[str, list[int]] = defaultdict(list)
    for word, position in analysed(text, language):
        positions[word].append(position)
    found: Counter[str] = Counter()
    present = positions.keys()
    for first in [word for word in positions if word in table]:
        for term in table[first]:
            if not present >= term.needed:
                continue
            near = _chains(term.words, positions, PROXIMITY)
            if not near:
                continue
            if term.homonyms:
                elsewhere = [
                    span
                    for longer in term.homonyms
                    if all(word in positions for word in longer)
                    for span in _chains(longer, positions, EXACT)
                ]
                near = [span for span in near if not _inside(span, elsewhere)]
            if not near:
                continue
            exact = len(near) if len(term.words) == 1 else None
            if exact is None:
                exact = sum(1 for start, end in near if end - start == len(term.words) - 1)
            for key in term.concepts:
                found[proximate(key)] += len(near)
                if exact:
                    found[exactly(key)] += exact
                for parent in _ancestors(path).get(key, ()):
                    found[narrower_of(parent)] += len(near)
    return sorted(found.elements())


@cache
def _words_of(path: Path, language: str, tag: str) -> frozenset[str]:
    kind, key = tag[:2], tag[2:]
    by_key = {concept.key: concept for concept in glossary.concepts(path)}
    concept = by_key.get(key)
    if concept is None:
        return frozenset()
    named = glossary.narrower(concept, path) if kind == NARROWER else (concept,)
    return frozenset(
        word
        for each in named
        for term in each.terms.get(language, ())
        for word in glossary.terms(term, language)
    )


def words_of(tag: str, language: str, path: Path | None = None) -> frozenset[str]:
    """The index words in *language* of the terms a tag stands for: what to highlight in a
    post found by it."""
    return _words_of(path or glossary.GLOSSARY, language, tag)


class Tagging(Analyzer):
    """The analyzer of a concepts field: a post's text in *language* → its concept tags."""

    def __init__(self, language: str):
        self.language = language

    def __call__(self, value, positions=False, chars=False, mode="", **kwargs):
        if mode == "query" or not isinstance(value, str):  # a tag itself, as searched
            token = Token(positions, chars, mode=mode)
            token.text, token.pos, token.boost, token.stopped = str(value), 0, 1.0, False
            yield token
            return
        token = Token(positions, False, mode=mode)
        for position, tag in enumerate(tags(value, self.language)):
            token.text, token.pos, token.boost, token.stopped = tag, position, 1.0, False
            yield token
