"""Supported languages and the choice of interface language for a request."""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel.lists import format_list
from flask import current_app, g, has_request_context, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from brain import resources
from brain.readers import current_reader

TRANSLATIONS_DIR = resources.translations()
LANG_COOKIE = "lang"
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # the language's name for itself
    direction: str = "ltr"


# Interface languages. Adding one: a catalog under translations/ and a line here.
INTERFACE_LANGUAGES: tuple[Language, ...] = (
    Language("en", "English"),
    Language("fr", "Français"),
    Language("es", "Español"),
    Language("pt", "Português"),
    Language("ar", "العربية", "rtl"),
)
BY_CODE = {lang.code: lang for lang in INTERFACE_LANGUAGES}
# Content may also be in a language the interface does not speak.
OTHER_LANGUAGE = "und"
RTL_CONTENT = frozenset({"ar", "fa", "he", "ur"})


def content_language_codes() -> list[str]:
    return [lang.code for lang in INTERFACE_LANGUAGES] + [OTHER_LANGUAGE]


def default_content_language() -> str:
    """The language a new post is written in unless its author says otherwise: the
    interface language, when posts may be written in it."""
    locale = str(get_locale() or "en")
    return locale if locale in content_language_codes() else "en"


def direction_of(code: str | None) -> str:
    return "rtl" if code in RTL_CONTENT else "ltr"


def supported(code: object) -> str | None:
    """The supported interface language *code* names ("pt-BR" → "pt"), else None. Never raises."""
    if not isinstance(code, str) or not _LANGUAGE_TAG.fullmatch(code):
        return None
    code = code.lower().replace("_", "-").split("-", 1)[0]
    return code if code in BY_CODE else None


def select_locale() -> str:
    """Explicit choice (?lang, the member's profile, the cookie) → Accept-Language → English.
    Outside a request (the queue's worker, a command) English, unless the caller chose a
    language (``flask_babel.force_locale``, as mail to a member does)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if "locale" in g:
        return g.locale
    choice = supported(request.args.get("lang"))
    if choice:
        g.remember_locale = choice
    if not choice:
        reader = current_reader()
        if reader.is_authenticated:
            choice = supported(reader.locale)
    if not choice:
        choice = supported(request.cookies.get(LANG_COOKIE))
    if not choice:
        # In the browser's order of preference; "pt-BR" counts as Portuguese.
        choice = next(
            (code for code in map(supported, request.accept_languages.values()) if code), "en"
        )
    g.locale = choice
    return choice


def select_timezone() -> str | None:
    if not has_request_context():
        return None  # the default; mail in a member's time zone converts explicitly
    reader = current_reader()
    if reader and reader.is_authenticated and reader.timezone:
        return reader.timezone
    return None


def remember_locale(response):
    """After ?lang=xx, keep the choice in a cookie so the next pages stay in that language."""
    chosen = g.get("remember_locale")
    if chosen:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
        )
    return response


def list_of(items, each=None, style: str = "standard") -> Markup:
    """*items* as one list in the reader's language: "A, B and C", "A, B et C", "A، B وC"
    (CLDR's patterns through Babel), each item through *each* first when given. An item is
    escaped unless it is already markup (a link, a ``<bdi>`` around a name), so the result
    is safe in a template: ``codes|list_of(catalog.country_name)``."""
    escaped = [escape(each(item) if each else item) for item in items]
    if not escaped:
        return Markup("")
    # Format numbered placeholders, then put the items in their places: the pattern's own
    # words are escaped too, and no item's text is ever read as part of the pattern.
    holders = [f"\x00{index}\x00" for index in range(len(escaped))]
    pieces = _format_list(holders, style, str(get_locale() or "en")).split("\x00")
    return Markup("").join(
        escaped[int(piece)] if position % 2 else escape(piece)
        for position, piece in enumerate(pieces)
    )


# CLDR joins Arabic lists with "و" alone ("A وB وC"). Names here often hold a "و" of their own
# (boards such as "الترحيب والتعارف", Meeting Point themes), so the Arabic comma shows where
# each one ends, as Arabic writing commonly does: "A، B وC".
_LIST_PATTERNS = {
    "ar": {"start": "{0}، {1}", "middle": "{0}، {1}", "end": "{0} و{1}", "2": "{0} و{1}"},
}


def _format_list(items: list[str], style: str, locale: str) -> str:
    patterns = _LIST_PATTERNS.get(locale) if style == "standard" else None
    if patterns is None or len(items) < 2:
        return format_list(items, style=style, locale=locale)
    if len(items) == 2:
        return patterns["2"].format(*items)
    joined = patterns["start"].format(items[0], items[1])
    for item in items[2:-1]:
        joined = patterns["middle"].format(joined, item)
    return patterns["end"].format(joined, items[-1])


def content_filter(args, user) -> list[str] | None:
    """The content languages a list should show: ?only=fr&only=es, else the member's reading
    languages, else everything (None). ?only=all shows everything to a member too."""
    only = args.getlist("only")
    if "all" in only:
        return None
    codes = [code for code in content_language_codes() if code in only]
    if codes:
        return codes
    if user is not None and user.is_authenticated and user.read_languages:
        return [code for code in content_language_codes() if code in user.read_languages]
    return None
