"""What a member's profile says they could offer or look for, read as Meeting Point tags (for
the suggestions on the Meeting Point home, brain.meeting.matching)."""

from __future__ import annotations

from functools import cache

from brain.i18n import INTERFACE_LANGUAGES, content_language_codes
from brain.models import User
from brain.ops.text import LIST_SEPARATORS
from brain.vocabulary import meeting as catalog


def profile_interests(member: User) -> dict[str, set[str]]:
    """The member's country (and its region), languages and themes of expertise."""
    wanted: dict[str, set[str]] = {}
    if member.country and member.country in catalog.REGION_OF:
        wanted["country"] = {member.country}
        wanted["region"] = {catalog.REGION_OF[member.country]}
    languages = [code for code in member.spoken_languages if code in content_language_codes()]
    if languages:
        wanted["language"] = set(languages)
    themes = themes_in(member.expertise or "")
    if themes:
        wanted["theme"] = themes
    return wanted


def themes_in(expertise: str) -> set[str]:
    """Themes whose code or label, in any interface language, shares a word of four letters
    or more with the member's areas of expertise ("finanzas sociales" → social-finance)."""
    words = {word for word in _words(expertise) if len(word) >= 4} - GENERIC_WORDS
    return {code for code, label_words in _theme_words().items() if words & label_words}


# Words in many theme labels that say nothing about the theme ("social" is in four of them).
GENERIC_WORDS = frozenset(
    [
        "social",
        "sociale",
        "sociales",
        "sociais",
        "sociaux",
        "economic",
        "economics",
        "economy",
        "économique",
        "économie",
        "economía",
        "económico",
        "económica",
        "econômico",
        "economia",
        "development",
        "développement",
        "desarrollo",
        "desenvolvimento",
        "services",
        "servicios",
        "serviços",
        "local",
        "locale",
        "locales",
        "and",
        "et",
        "y",
        "e",
        "des",
        "les",
        "los",
        "las",
        "dos",
        "das",
        "with",
        "pour",
        "para",
    ]
)


def _words(text: str) -> list[str]:
    return [word.strip(".:()'’") for word in LIST_SEPARATORS.sub(" ", text.casefold()).split()]


@cache
def _theme_words() -> dict[str, frozenset[str]]:
    """Each theme's words in every interface language (the catalogs are fixed for the life
    of the process, so this is worked out once)."""
    found = {code: set(code.split("-")) for code in catalog.THEMES}
    for language in INTERFACE_LANGUAGES:
        for code, label in catalog.labels_in(language.code, "theme").items():
            found[code].update(w for w in _words(label) if len(w) >= 4)
    return {code: frozenset(words) for code, words in found.items()}
