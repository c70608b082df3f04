"""The multilingual Social and Solidarity Economy glossary (glossary.tsv beside this file).

A query that contains a glossary term is expanded with the term's equivalents in every
language, so a search in French also finds the Spanish discussion.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from brain import resources
from brain.search.analysis import terms

GLOSSARY = resources.glossary()
LANGUAGES = ("en", "fr", "es", "pt", "ar")


@dataclass(frozen=True)
class Concept:
    key: str
    terms: dict[str, tuple[str, ...]]  # language → its terms, the preferred one first


@dataclass(frozen=True)
class Match:
    concept: Concept
    start: int  # position in the folded query's words
    length: int


@cache
def concepts(path: Path = GLOSSARY) -> tuple[Concept, ...]:
    # A missing glossary is an installation fault (brain.resources.check refuses to start),
    # not an empty glossary: opening it raises.
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return tuple(
        Concept(
            row["concept"],
            {
                lang: tuple(t.strip() for t in row[lang].split("|") if t.strip())
                for lang in LANGUAGES
            },
        )
        for row in rows
    )


@cache
def _index(path: Path = GLOSSARY) -> dict[str, dict[tuple[str, ...], Concept]]:
    """For each language, every term of every concept as its analysed terms → concept.

    Keys are stems, so "cooperatives" finds the entry "cooperative" and "l'économie sociale et
    solidaire" finds "économie sociale et solidaire"."""
    tables: dict[str, dict[tuple[str, ...], Concept]] = {lang: {} for lang in LANGUAGES}
    for concept in concepts(path):
        for language, words in concept.terms.items():
            for term in words:
                key = tuple(terms(term, language))
                if key:
                    tables[language].setdefault(key, concept)
    return tables


def find(words: list[str], path: Path = GLOSSARY) -> list[Match]:
    """Glossary terms among consecutive *words*, in any language, longest first."""
    tables = _index(path)
    longest = 8
    matches, position = [], 0
    while position < len(words):
        found = None
        for length in range(min(longest, len(words) - position), 0, -1):
            window = " ".join(words[position : position + length])
            for language, table in tables.items():
                key = tuple(terms(window, language))
                concept = table.get(key) if key else None
                if concept is not None:
                    found = Match(concept, position, length)
                    break
            if found:
                break
        if found:
            matches.append(found)
            position += found.length
        else:
            position += 1
    return matches
