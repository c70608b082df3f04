"""Members' avatars: an uploaded picture when there is one, otherwise their initials on a
colour drawn from their name (the same name always gets the same colour)."""

from __future__ import annotations

import unicodedata
import zlib

COLOURS = 12  # avatar-c0 … avatar-c11 in brain.css, each dark enough for white text


def initials(name: str) -> str:
    """One or two letters for *name*: the first letters of its first and last words."""
    words = [w for w in name.replace("_", " ").replace(".", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return unicodedata.normalize("NFC", letters).upper()


def colour_index(key: str) -> int:
    """A stable number in range(COLOURS) for *key* (not Python's hash(), which changes with
    each process)."""
    return zlib.crc32(key.encode("utf-8")) % COLOURS
