"""Checks and normalisation for text that people type."""

from __future__ import annotations

import re
import unicodedata

# Control characters other than tab/newline, lone surrogates, and bidi overrides/isolates
# that could disguise text; zero-width joiners stay (Arabic and Indic scripts need them).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_SLUG_DROP = re.compile(r"[^\w\s-]", re.UNICODE)
_SLUG_GAPS = re.compile(r"[\s_-]+")


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
