"""Checks and normalisation for text that people type."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Control characters other than tab/newline, lone surrogates, and bidi overrides/isolates
# that could disguise text; zero-width joiners stay (Arabic and Indic scripts need them).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
# Commas as people type them: Latin, Arabic (،), full-width (，), and semicolons.
LIST_SEPARATORS = re.compile(r"[,;\u060c\u061b\uff0c]")
_SLUG_DROP = re.compile(r"[^\w\s-]", re.UNICODE)
_SLUG_GAPS = re.compile(r"[\s_-]+")


_ASCII_NUMBER = re.compile(r"[0-9]{1,10}")


def parse_count(text: object, maximum: int = 2**31 - 1) -> int | None:
    """A whole number written in ASCII digits, from 0 to *maximum*; None for anything else.

    The one way to read a number a person or a form sent: ``str.isdigit`` accepts "①" and
    "²", which ``int`` refuses, and ``int`` accepts other scripts' digits and spaces."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str) or not _ASCII_NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if number <= maximum else None


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character "\\") matching *text* anywhere, its % and _ literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def has_forbidden_characters(text: str) -> bool:
    return bool(_FORBIDDEN.search(text))


def clean_text(text: str) -> str:
    """NFC-normalised text with Windows line endings made plain."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def slugify(text: str, max_length: int = 60) -> str:
    """A readable URL part: lower-case words joined by hyphens, any script kept."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _SLUG_GAPS.sub("-", _SLUG_DROP.sub("", text)).strip("-")
    text = text[:max_length].rstrip("-")
    return text or "topic"


# Invisible characters that have no business in a name: zero-width, joiners, bidi marks.
_INVISIBLE_IN_NAMES = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")


def has_invisible_characters(text: str) -> bool:
    return bool(_INVISIBLE_IN_NAMES.search(text))


@cache
def _confusable_classes() -> dict[str, str]:
    """Every character Unicode lists as confusable → one representative of its class.

    Unicode's confusables data (through confusable-homoglyphs) pairs characters that look
    alike ("а" Cyrillic and "a" Latin, "l", "1" and "I"); joining the pairs into classes and
    naming each class by its smallest member gives one spelling per look."""
    from confusable_homoglyphs.confusables import confusables_data

    parent: dict[str, str] = {}

    def root(char: str) -> str:
        while parent.setdefault(char, char) != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    for char, entries in confusables_data.items():
        for entry in entries:
            other = entry["c"].strip("\u200e\u200f")
            if len(char) == 1 and len(other) == 1:
                first, second = root(char), root(other)
                if first != second:
                    parent[max(first, second)] = min(first, second)
    return {char: root(char) for char in parent}


def skeleton(text: str) -> str:
    """*text* with look-alike characters made identical: equal skeletons look the same."""
    classes = _confusable_classes()
    # Map before and after case folding: "I" looks like "l" but folds to "i".
    mapped = "".join(classes.get(char, char) for char in unicodedata.normalize("NFKC", text))
    return "".join(classes.get(char, char) for char in mapped.casefold())
