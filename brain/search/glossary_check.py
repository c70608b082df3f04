"""Validation of the glossary file (brain/search/glossary.tsv).

The file is read here with csv, not through brain.search.glossary, so that a broken file is
described line by line instead of failing half-way through loading. Terms are compared as the
search index sees them (brain.search.analysis.terms): two spellings that analyse to the same
terms are the same term, so "coopérative" in one concept and "cooperatives" in another clash.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from brain.search.analysis import terms

HEADER = ("concept", "en", "fr", "es", "pt", "ar", "broader", "related", "ambiguous")
LANGUAGES = HEADER[1:6]
KEY = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class Problem:
    line: int  # in the file, the header being line 1; 0 for the file as a whole
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class _Row:
    line: int
    key: str
    terms: dict[str, list[str]]  # language → its terms, in file order
    broader: list[str]
    related: list[str]
    ambiguous: list[str]


def _split(cell: str) -> list[str]:
    return [] if not cell.strip() else [part.strip() for part in cell.split("|")]


def check(path: Path) -> list[Problem]:
    """Every problem in the glossary at *path*, in file order (an empty list when it is sound)."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            table = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    except (OSError, UnicodeDecodeError) as error:
        return [Problem(0, f"cannot read {path}: {error}")]
    if not table or tuple(table[0]) != HEADER:
        expected, found = "\t".join(HEADER), "\t".join(table[0]) if table else ""
        return [Problem(1, f"the header must be {expected!r}, not {found!r}")]

    problems: list[Problem] = []
    rows = _rows(table[1:], problems)
    problems += _clashes(rows)
    problems += _links(rows)
    return sorted(problems, key=lambda problem: problem.line)


def _rows(records: list[list[str]], problems: list[Problem]) -> list[_Row]:
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(records, start=2):
        if len(record) != len(HEADER):
            problems.append(Problem(line, f"{len(record)} columns instead of {len(HEADER)}"))
            continue
        cells = dict(zip(HEADER, record, strict=True))
        key = cells["concept"]
        if not KEY.fullmatch(key):
            problems.append(Problem(line, f"concept key {key!r} is not snake_case"))
        if key in seen:
            problems.append(Problem(line, f"concept {key} is already on line {seen[key]}"))
            continue
        seen[key] = line
        row = _Row(
            line,
            key,
            {language: _split(cells[language]) for language in LANGUAGES},
            _split(cells["broader"]),
            _split(cells["related"]),
            _split(cells["ambiguous"]),
        )
        problems += _row_problems(row)
        rows.append(row)
    return rows


def _row_problems(row: _Row) -> list[Problem]:
    problems = []
    for language, words in row.terms.items():
        if not words:
            problems.append(Problem(row.line, f"{row.key}: no {language} term"))
        for word in words:
            if not word:
                problems.append(Problem(row.line, f"{row.key}: an empty {language} term"))
            elif not terms(word, language):
                problems.append(
                    Problem(row.line, f"{row.key}: {language} term {word!r} analyses to nothing")
                )
    for word in row.ambiguous:
        if not any(_analysed(word, language) in _keys(row, language) for language in LANGUAGES):
            problems.append(
                Problem(row.line, f"{row.key}: ambiguous {word!r} is not one of its terms")
            )
    return problems


def _analysed(word: str, language: str) -> tuple[str, ...]:
    return tuple(terms(word, language))


def _keys(row: _Row, language: str) -> set[tuple[str, ...]]:
    return {_analysed(word, language) for word in row.terms[language] if word}


def _ambiguous_keys(row: _Row, language: str) -> set[tuple[str, ...]]:
    return {_analysed(word, language) for word in row.ambiguous}


def _clashes(rows: list[_Row]) -> list[Problem]:
    """Terms that two concepts share in one language without both marking them ambiguous."""
    problems = []
    for language in LANGUAGES:
        owners: dict[tuple[str, ...], list[tuple[_Row, str]]] = defaultdict(list)
        for row in rows:
            for word in row.terms[language]:
                analysed = _analysed(word, language) if word else ()
                if analysed and all(owner is not row for owner, _ in owners[analysed]):
                    owners[analysed].append((row, word))
        for analysed, sharing in owners.items():
            if len(sharing) < 2:
                continue
            unmarked = [row for row, _ in sharing if analysed not in _ambiguous_keys(row, language)]
            if unmarked:
                names = ", ".join(f"{row.key} ({word!r})" for row, word in sharing)
                problems.append(
                    Problem(
                        unmarked[0].line,
                        f"{language} term {' '.join(analysed)!r} is in {names}; "
                        "mark it ambiguous in each of them or keep it in one",
                    )
                )
    return problems


def _links(rows: list[_Row]) -> list[Problem]:
    problems = []
    keys = {row.key for row in rows}
    for row in rows:
        for kind, targets in (("broader", row.broader), ("related", row.related)):
            for target in targets:
                if target == row.key:
                    problems.append(Problem(row.line, f"{row.key} is its own {kind} concept"))
                elif target not in keys:
                    problems.append(
                        Problem(row.line, f"{row.key}: {kind} concept {target!r} does not exist")
                    )
    broader = {row.key: [t for t in row.broader if t in keys and t != row.key] for row in rows}
    lines = {row.key: row.line for row in rows}
    for cycle in _cycles(broader):
        chain = " → ".join([*cycle, cycle[0]])
        problems.append(Problem(lines[cycle[0]], f"broader concepts form a cycle: {chain}"))
    return problems


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """The cycles a depth-first walk of *graph* meets (one per edge that closes a cycle)."""
    cycles, state = [], dict.fromkeys(graph, 0)  # 0 unseen, 1 on the path, 2 done
    for start in graph:
        if state[start]:
            continue
        path, stack = [start], [iter(graph[start])]
        state[start] = 1
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = 2
                stack.pop()
            elif state[target] == 1:
                cycles.append(path[path.index(target) :])
            elif state[target] == 0:
                state[target] = 1
                path.append(target)
                stack.append(iter(graph[target]))
    return cycles
