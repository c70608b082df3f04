"""Highlighted excerpts of the posts a search found.

Whoosh's highlighter runs the whole analyzer chain over each hit's text, token by token: on a
page of 20 results that was most of a rare word's search. Here the text is split into words
with the analyzer's own pattern, and each distinct word is analysed once (remembered): a word
is marked where its index term is one the query looked for.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

from brain.search.analysis import WORD, terms

MAX_CHARS = 240  # one fragment, at most
SURROUND = 60  # characters of context on either side of the marked words
FRAGMENTS = 2
BETWEEN = " … "
SCANNED = 20_000  # characters of a post looked at (its longest is 20,000)


@lru_cache(maxsize=200_000)
def _term(word: str, language: str) -> str | None:
    found = terms(word, language)
    return found[0] if len(found) == 1 else None


def excerpt(text: str, language: str, wanted: frozenset[str]) -> Markup | None:
    """Up to FRAGMENTS pieces of *text* around the words whose index terms are in *wanted*,
    the words marked; None when no word of *text* is one of them."""
    words = [(m.start(), m.end()) for m in WORD.finditer(text, 0, SCANNED)]
    hits = [
        (i, start, end)
        for i, (start, end) in enumerate(words)
        if _term(text[start:end], language) in wanted
    ]
    if not hits:
        return None
    fragments: list[tuple[int, int, list]] = []  # (first word, last word, hits)
    current: list = []
    for hit in hits:
        if current and hit[2] - current[0][1] > MAX_CHARS - 2 * SURROUND:
            fragments.append(_fragment(words, current))
            current = []
        current.append(hit)
    fragments.append(_fragment(words, current))
    best = sorted(fragments, key=lambda f: (-len({text[s:e].lower() for _i, s, e in f[2]}), f[0]))
    chosen = sorted(best[:FRAGMENTS], key=lambda f: f[0])
    numbers: dict[str, int] = {}
    pieces = []
    for start, end, marked in chosen:
        html, position = [], start
        for _i, s, e in marked:
            word = text[s:e]
            number = numbers.setdefault(word.lower(), len(numbers))
            html.append(escape(text[position:s]))
            html.append(Markup('<mark class="match term{}">{}</mark>').format(number, word))
            position = e
        html.append(escape(text[position:end]))
        pieces.append(Markup("").join(html))
    return escape(BETWEEN).join(pieces)


def _fragment(words: list[tuple[int, int]], hits: list) -> tuple[int, int, list]:
    """The characters around *hits*, SURROUND on each side, cut at word boundaries."""
    first, last = hits[0][0], hits[-1][0]
    start, end = words[first][0], words[last][1]
    i = first
    while i > 0 and start - words[i - 1][0] <= SURROUND:
        i -= 1
    j = last
    while j + 1 < len(words) and words[j + 1][1] - end <= SURROUND:
        j += 1
    return words[i][0], words[j][1], hits
