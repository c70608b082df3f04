"""The fixed lists a profile chooses from: academy editions, countries, spoken languages.

Country and language names come from Babel's CLDR data in the reader's language; editions
are named in code with translated labels, like every other word of the interface.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Edition:
    code: str
    label: object  # a lazy translated string: place and year


# The editions of the academy on the Social and Solidarity Economy, oldest first.
EDITIONS = (
    Edition("italy-2010", _l("Italy 2010 (Turin)")),
    Edition("montreal-2011", _l("Montreal 2011 (Canada)")),
    Edition("agadir-2013", _l("Agadir 2013 (Morocco)")),
    Edition("brazil-2014", _l("Brazil 2014 (Campinas)")),
    Edition("south-africa-2015", _l("South Africa 2015 (Johannesburg)")),
    Edition("puebla-2015", _l("Puebla 2015 (Mexico)")),
)
EDITION_CODES = frozenset(edition.code for edition in EDITIONS)

# Languages members commonly speak in this community; CLDR names them in every locale.
SPOKEN_LANGUAGES = (
    "en", "fr", "es", "pt", "ar", "am", "bm", "de", "ff", "ha", "hi", "id", "it", "ja", "ko",
    "mg", "nl", "qu", "ru", "rw", "sw", "tr", "wo", "yo", "zh", "zu",
)  # fmt: skip


def _reader() -> Locale:
    return get_locale() or Locale("en")


def sort_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def country_names() -> dict[str, str]:
    """ISO 3166 alpha-2 code → name in the reader's language, sorted by name."""
    return _countries(str(_reader()))


def territory_name(code: str) -> str:
    """A CLDR territory (a country, or a UN M49 region such as "202") in the reader's
    language; the code itself when CLDR does not know it."""
    return _territories(str(_reader())).get(code, code)


@lru_cache(maxsize=8)
def _territories(locale: str) -> dict[str, str]:
    return dict(Locale.parse(locale).territories)


@lru_cache(maxsize=8)
def _countries(locale: str) -> dict[str, str]:
    territories = _territories(locale)
    countries = {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }
    return dict(sorted(countries.items(), key=lambda item: sort_key(item[1])))


# CLDR territory codes that are not countries (groupings, placeholders, pseudo-locales).
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


def country_name(code: str | None) -> str:
    return country_names().get(code or "", "") if code else ""


def language_names() -> dict[str, str]:
    return _languages(str(_reader()))


def language_name(code: str) -> str:
    """A spoken language in the reader's language; the code itself for one not listed."""
    return language_names().get(code, code)


@lru_cache(maxsize=8)
def _languages(locale: str) -> dict[str, str]:
    languages = Locale.parse(locale).languages
    names = {code: languages.get(code, code) for code in SPOKEN_LANGUAGES}
    return dict(sorted(names.items(), key=lambda item: sort_key(item[1])))


def edition_label(code: str) -> str:
    for edition in EDITIONS:
        if edition.code == code:
            return str(edition.label)
    return code
