"""The multilingual Social and Solidarity Economy glossary (glossary.tsv beside this file).

A query that contains a glossary term is expanded with the term's equivalents in every
language, so a search in French also finds the Spanish discussion, and with the concept's
narrower concepts (a tontine is a kind of savings group).

The file has one concept a row: ``concept en fr es pt ar broader related ambiguous``, terms
and links ``|``-separated. ``broader`` and ``related`` name other concepts; ``ambiguous`` lists
the row's terms that another concept lists too (``brain search glossary-check`` refuses a term
in two concepts unless both mark it so). A file of the first six columns only is still read.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from brain import resources
from brain.search.analysis import remembered_terms, terms

GLOSSARY = resources.glossary()  # tests point this at a file of their own
LANGUAGES = ("en", "fr", "es", "pt", "ar")
LONGEST_TERM = 8  # words


@dataclass(frozen=True)
class Concept:
    key: str
    terms: dict[str, tuple[str, ...]]  # language → its terms, the preferred one first
    broader: tuple[str, ...] = ()  # keys of the concepts this one is a kind of
    related: tuple[str, ...] = ()  # keys of concepts worth suggesting, never expanded into
    ambiguous: tuple[str, ...] = ()  # its terms that other concepts list too

    def __hash__(self) -> int:
        return hash(self.key)


@dataclass(frozen=True)
class Match:
    """Consecutive query words that are a glossary term. A term that several concepts list
    (marked ambiguous) matches all of them."""

    concepts: tuple[Concept, ...]
    start: int  # position in the query's words
    length: int
    languages: frozenset[str]  # the languages in which the words are that term

    @property
    def concept(self) -> Concept:
        return self.concepts[0]


def _cells(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split("|") if part.strip())


@cache
def _load(path: Path) -> tuple[Concept, ...]:
    # A missing glossary is an installation fault (brain.resources.check refuses to start),
    # not an empty glossary: opening it raises.
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return tuple(
        Concept(
            row["concept"],
            {lang: _cells(row[lang]) for lang in LANGUAGES},
            broader=_cells(row.get("broader")),
            related=_cells(row.get("related")),
            ambiguous=_cells(row.get("ambiguous")),
        )
        for row in rows
    )


def concepts(path: Path | None = None) -> tuple[Concept, ...]:
    """Every concept of the glossary at *path* (the shipped one by default), in file order."""
    return _load(path or GLOSSARY)


@cache
def _tables(path: Path) -> dict[str, dict[tuple[str, ...], tuple[Concept, ...]]]:
    """For each language, every term of every concept as its analysed terms → the concepts
    that list it (one, unless the term is ambiguous).

    Keys are stems, so "cooperatives" finds the entry "cooperative" and "l'économie sociale et
    solidaire" finds "économie sociale et solidaire"."""
    tables: dict[str, dict[tuple[str, ...], tuple[Concept, ...]]] = {lang: {} for lang in LANGUAGES}
    for concept in _load(path):
        for language, words in concept.terms.items():
            for term in words:
                key = tuple(terms(term, language))
                listed = tables[language].get(key, ())
                if key and concept not in listed:
                    tables[language][key] = (*listed, concept)
    return tables


def lookup(text: str, path: Path | None = None) -> Match | None:
    """The concepts of which the whole of *text* is a term, if any."""
    words = text.split()
    found = find(words, path)
    if len(found) == 1 and found[0].start == 0 and found[0].length == len(words):
        return found[0]
    return None


def find(words: list[str], path: Path | None = None) -> list[Match]:
    """Glossary terms among consecutive *words*, in any language, longest first."""
    tables = _tables(path or GLOSSARY)
    matches, position = [], 0
    while position < len(words):
        found = None
        for length in range(min(LONGEST_TERM, len(words) - position), 0, -1):
            window = " ".join(words[position : position + length])
            listed: dict[str, Concept] = {}
            languages = set()
            for language, table in tables.items():
                key = remembered_terms(window, language)
                for concept in table.get(key, ()) if key else ():
                    listed.setdefault(concept.key, concept)
                    languages.add(language)
            if listed:
                found = Match(tuple(listed.values()), position, length, frozenset(languages))
                break
        if found:
            matches.append(found)
            position += found.length
        else:
            position += 1
    return matches


@cache
def _children(path: Path) -> dict[str, tuple[Concept, ...]]:
    children: dict[str, list[Concept]] = defaultdict(list)
    for concept in _load(path):
        for parent in concept.broader:
            children[parent].append(concept)
    return {key: tuple(found) for key, found in children.items()}


def narrower(concept: Concept, path: Path | None = None) -> tuple[Concept, ...]:
    """The concepts that are kinds of *concept*, and kinds of those, nearest first (a
    cycle in the file is not followed round)."""
    children = _children(path or GLOSSARY)
    found: dict[str, Concept] = {}
    frontier = [concept]
    while frontier:
        following = []
        for parent in frontier:
            for child in children.get(parent.key, ()):
                if child.key != concept.key and child.key not in found:
                    found[child.key] = child
                    following.append(child)
        frontier = following
    return tuple(found.values())


@cache
def _linked(path: Path) -> dict[str, frozenset[str]]:
    """Each concept's key → the keys of the concepts it is linked to, in either direction,
    by broader or related (itself included)."""
    links: dict[str, set[str]] = defaultdict(set)
    for concept in _load(path):
        links[concept.key].add(concept.key)
        for other in (*concept.broader, *concept.related):
            links[concept.key].add(other)
            links[other].add(concept.key)
    return {key: frozenset(found) for key, found in links.items()}


@cache
def _homonym_tables(path: Path) -> dict[tuple[str, str], tuple[tuple[str, ...], ...]]:
    """(language, concept key) → the analysed terms that begin with one of its terms of two
    words or more and name a concept not linked to it (broader, narrower or related): there
    the words name something else, as "banco comunitário" (a community bank) in "banco
    comunitário de sementes" (a seed bank), or "international cooperation" in "International
    Cooperative Alliance". A single word stays the head of whatever follows it."""
    linked = _linked(path)
    by_key = {concept.key: concept for concept in _load(path)}
    found: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
    for language, table in _tables(path).items():
        by_start: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for long in table:
            by_start[long[:2]].append(long)
        for short, owners in table.items():
            if len(short) < 2:
                continue
            for long in by_start[short[:2]]:
                if len(long) <= len(short) or long[: len(short)] != short:
                    continue
                others = table[long]
                for owner in owners:
                    kinds = {c.key for c in narrower(by_key[owner.key], path)}
                    near = linked.get(owner.key, frozenset()) | kinds
                    if not any(other.key in near for other in others):
                        found[language, owner.key].add(long)
    return {key: tuple(sorted(listed)) for key, listed in found.items()}


def homonyms(
    concept: Concept, language: str, path: Path | None = None
) -> tuple[tuple[str, ...], ...]:
    """The analysed terms in *language* in which a term of *concept* names something else."""
    return _homonym_tables(path or GLOSSARY).get((language, concept.key), ())


def kin(a: Concept, b: Concept, path: Path | None = None) -> bool:
    """Whether *a* and *b* are kinds of one idea: one is a kind of the other, or both are
    kinds of one concept (tontines and village savings and loan associations are both savings
    groups). Related concepts are not: fair trade and South-South cooperation are two ideas."""
    path = path or GLOSSARY
    if set(a.broader) & set(b.broader):
        return True
    return any(c.key == b.key for c in narrower(a, path)) or any(
        c.key == a.key for c in narrower(b, path)
    )
