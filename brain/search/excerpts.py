"""Highlighted excerpts of the posts a search found.

Whoosh's highlighter runs the whole analyzer chain over each hit's text, token by token: on a
page of 20 results that was most of a rare word's search. Here a word is marked where its index
term is one the query looked for. The index keeps, with each post, its words by index term
(``forms``, analysed when the post is indexed): the words to mark are then a look-up per term
searched. For a text without them, each distinct word of the text is analysed once
(remembered). Only the marked words are then looked for, and the words around them read, so
the cost of a post is a few passes of C code over it rather than a step of Python per word.
"""

from __future__ import annotations

import re
import threading
from hashlib import blake2b
from itertools import filterfalse

from markupsafe import Markup, escape

from brain.recent import MISSING, Recent
from brain.search.analysis import word_term

MAX_CHARS = 240  # one fragment, at most
SURROUND = 60  # characters of context on either side of the marked words
FRAGMENTS = 2
BETWEEN = " … "
SCANNED = 20_000  # characters of a post looked at (its longest is 20,000)

# The analyzer's words (brain.search.analysis.WORD: letters and digits with their combining
# marks, "_" separating words) as one character class, read in a text whose "_" are spaces:
# WORD's alternation, tried at each character, made reading a post's words twice as slow.
_WORD = re.compile(r"[\w\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]+")
# The combining marks of _WORD, for telling one character apart (_in_word).
_MARKS = frozenset(
    chr(code)
    for first, last in ((0x300, 0x36F), (0x610, 0x61A), (0x64B, 0x65F), (0x6D6, 0x6ED))
    for code in range(first, last + 1)
) | {"\u0670", "\u0640"}
# Signs that stand at either end of a word in running text (none is part of a word).
_EDGES = ".,;:!?¡¿\"'()[]{}«»“”‘’„…-–—/*"
_SPECIAL = re.compile(r"[&<>\"']")  # what escape() changes
_MARK = '<mark class="match term%d">%s</mark>'
_BETWEEN = str(escape(BETWEEN))


class _Vocabulary:
    """The words met in posts, analysed once each: per language, each index term's written
    forms. A post's words to mark are then one intersection of sets, not a lookup per word.
    Forgotten whole when it grows past LIMIT words (a post has hundreds)."""

    LIMIT = 200_000

    def __init__(self) -> None:
        self.known: dict[str, set[str]] = {}  # language → words analysed
        self.forms: dict[str, dict[str, set[str]]] = {}  # language → term → its words
        self.size = 0
        self.lock = threading.Lock()

    def forms_of(self, words: set[str], language: str, wanted: frozenset[str]) -> set[str]:
        """Those of *words* whose index term (a word's only one) is in *wanted*."""
        with self.lock:
            known = self.known.setdefault(language, set())
            forms = self.forms.setdefault(language, {})
            new = words - known
            if new and self.size + len(new) > self.LIMIT:
                known, forms, new = set(), {}, words
                self.known, self.forms, self.size = {language: known}, {language: forms}, 0
            if new:
                for word in new:
                    term = word_term(word, language)
                    if term is not None:
                        forms.setdefault(term, set()).add(word)
                known |= new
                self.size += len(new)
            marked: set[str] = set()
            for term in wanted:
                if term in forms:
                    marked |= words & forms[term]
            return marked


_vocabulary = _Vocabulary()


# The excerpts made last, by the text's digest, its language and the words wanted: a result
# shown again (the next reader of a popular search, a page read twice) costs one digest. Keyed
# by what the text says, so an edited post never shows its old excerpt.
_kept = Recent(2_000)


def forget() -> None:
    """Drop the kept excerpts (for measuring the cost of new ones)."""
    _kept.clear()


def forms(text: str, language: str) -> str:
    """The words of *text* an excerpt may mark, by index term, one line a term:
    ``"\\nterm word word\\nterm word\\n"`` (the words as written; none holds a space)."""
    by_term: dict[str, list[str]] = {}
    for word in _words_of(text[:SCANNED].replace("_", " ")):
        term = word_term(word, language)
        if term is not None:
            by_term.setdefault(term, []).append(word)
    lines = (f"{term} {' '.join(sorted(words))}" for term, words in sorted(by_term.items()))
    return "\n" + "".join(f"{line}\n" for line in lines)


def _marked(forms: str, wanted: frozenset[str]) -> set[str]:
    """The words of a text's *forms* whose index terms are in *wanted*."""
    marked: set[str] = set()
    for term in wanted:
        at = forms.find(f"\n{term} ")
        if at >= 0:
            marked.update(forms[at + len(term) + 2 : forms.index("\n", at + 1)].split(" "))
    return marked


def excerpt(
    text: str, language: str, wanted: frozenset[str], forms: str | None = None
) -> Markup | None:
    """Up to FRAGMENTS pieces of *text* around the words whose index terms are in *wanted*,
    the words marked; None when no word of *text* is one of them. *forms*: the text's words
    by term (``forms()``), when the index keeps them."""
    key = (blake2b(text.encode(), digest_size=16).digest(), language, wanted)
    found = _kept.get(key)
    if found is MISSING:
        found = _excerpt(text, language, wanted, forms)
        _kept.put(key, found)
    return found


def excerpt_or_beginning(
    text: str, language: str, wanted: frozenset[str], forms: str | None = None
) -> Markup:
    """A search result's excerpt (``excerpt``), or the beginning of *text* when it has none
    of the words *wanted*."""
    if wanted:
        marked = excerpt(text, language, wanted, forms)
        if marked is not None:
            return marked
    return escape(text[:MAX_CHARS] + ("…" if len(text) > MAX_CHARS else ""))


def _excerpt(
    text: str, language: str, wanted: frozenset[str], forms: str | None = None
) -> Markup | None:
    words = text[:SCANNED].replace("_", " ")  # the same length: positions hold in *text*
    if forms is None:
        marked = _vocabulary.forms_of(_words_of(words), language, wanted)
    else:
        marked = _marked(forms, wanted)
    if not marked:
        return None
    hits = sorted(hit for word in marked for hit in _occurrences(words, word))
    groups: list[list[tuple[int, int]]] = []  # hits close enough to share a fragment
    current: list = []
    for hit in hits:
        if current and hit[1] - current[0][0] > MAX_CHARS - 2 * SURROUND:
            groups.append(current)
            current = []
        current.append(hit)
    groups.append(current)
    # When there are more groups than fragments: those with the most different words, the
    # earliest first. Only those chosen are widened to whole words around them (a common word
    # makes many groups in a long post).
    if len(groups) > FRAGMENTS:
        groups = sorted(groups, key=lambda g: (-len({text[s:e].lower() for s, e in g}), g[0][0]))
    chosen = sorted(_fragment(words, group) for group in groups[:FRAGMENTS])
    numbers: dict[str, int] = {}
    pieces = []
    for start, end, found in chosen:
        # A piece with nothing to escape (most) is joined as it is.
        plain = _SPECIAL.search(text, start, end) is None
        html, position = [], start
        for s, e in found:
            word = text[s:e]
            number = numbers.setdefault(word.lower(), len(numbers))
            html.append(text[position:s] if plain else escape(text[position:s]))
            html.append(_MARK % (number, word))  # letters and marks: nothing to escape
            position = e
        html.append(text[position:end] if plain else escape(text[position:end]))
        pieces.append("".join(html))
    return Markup(_BETWEEN.join(pieces))  # noqa: S704 - escaped above, piece by piece


def _words_of(words: str) -> set[str]:
    """The distinct words of *words* (as _WORD reads them), most without the pattern: a piece
    between spaces that is all letters and digits, once the signs at its ends are taken off,
    is one word; only the others (an apostrophe inside, a combining mark) are read with it.
    Half the cost of reading them all."""
    pieces = words.split()
    found = set(filter(str.isalnum, pieces))
    for piece in filterfalse(str.isalnum, pieces):
        word = piece.strip(_EDGES)
        if word.isalnum():
            found.add(word)
        elif word:
            found.update(_WORD.findall(word))
    return found


def _in_word(words: str, at: int) -> bool:
    """Whether the character at *at* belongs to a word (False outside the text): a letter or
    digit (what ``\\w`` matches, "_" aside: *words* has none) or a combining mark of _WORD.
    A character's own test, not the pattern's: an excerpt asks it a few dozen times."""
    if not 0 <= at < len(words):
        return False
    character = words[at]
    return character.isalnum() or character in _MARKS


def _occurrences(words: str, word: str) -> list[tuple[int, int]]:
    """(start, end) of each place where *word* stands as a whole word. Where it stands inside a
    longer word, no whole one can begin before that occurrence ends. (_in_word's test, written
    out: a short word found inside longer ones is checked dozens of times in a post.)"""
    found, size, length = [], len(word), len(words)
    at = words.find(word)
    while at >= 0:
        end = at + size
        before = words[at - 1] if at else " "
        after = words[end] if end < length else " "
        if not (before.isalnum() or before in _MARKS or after.isalnum() or after in _MARKS):
            found.append((at, end))
        at = words.find(word, end)
    return found


def _fragment(words: str, hits: list[tuple[int, int]]) -> tuple[int, int, list]:
    """The characters around *hits*: the whole words within SURROUND of them on each side.
    Read a character at a time from each edge of the window inwards: a word the window cuts
    is left out, and so are the spaces and signs between the words kept and the edge."""
    start, end = hits[0][0], hits[-1][1]
    low = max(0, start - SURROUND)
    if _in_word(words, low - 1):  # the window begins inside a word: it is left out
        while low < start and _in_word(words, low):
            low += 1
    while low < start and not _in_word(words, low):
        low += 1
    high = min(len(words), end + SURROUND)
    if _in_word(words, high):  # the window ends inside a word
        while high > end and _in_word(words, high - 1):
            high -= 1
    while high > end and not _in_word(words, high - 1):
        high -= 1
    return low, high, hits
