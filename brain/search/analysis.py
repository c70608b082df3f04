"""Text analysis for search: one analyzer per content language.

Every analyzer folds case and accents *before* stemming, in the index and in queries alike, so
"cooperacion" and "cooperación" reach the same stem. Arabic gets a light stemmer (after Larkey's
"light10"): it removes diacritics and tatweel, unifies alef, yeh and teh marbuta, and strips the
article and common affixes, rather than reducing words to roots (which would conflate
اجتماعي "social" with جامعة "university").
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

STEMMED_LANGUAGES = ("en", "fr", "es", "pt")
# Words: letters and digits of any script, with their combining marks (Arabic harakat, or
# accents typed as separate characters); apostrophes and hyphens separate words.
WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640])+")

_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, dagger alef, tatweel
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_ARABIC_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
_ARABIC_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")


def normalise_arabic(word: str) -> str:
    return _ARABIC_MARKS.sub("", word).translate(_ARABIC_LETTERS)


def stem_arabic(word: str) -> str:
    """Light stemming: the article and common affixes go, the word's pattern stays."""
    word = normalise_arabic(word)
    if len(word) > 3 and word.startswith("و"):
        word = word[1:]
    for article in _ARABIC_ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            word = word[len(article) :]
            break
    for suffix in _ARABIC_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


class ArabicStemFilter(Filter):
    def __call__(self, tokens):
        for token in tokens:
            token.text = stem_arabic(token.text)
            yield token


class FoldFilter(Filter):
    """Compatibility folding (NFKC) so full-width and ligature forms match plain letters."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = unicodedata.normalize("NFKC", token.text)
            yield token


def _folded_stopwords(language: str) -> frozenset[str]:
    words = stopwords_for_language(language)
    return frozenset(_fold(w) for w in words)


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )


def _base():
    return RegexTokenizer(WORD) | FoldFilter() | LowercaseFilter()


@cache
def analyzer_for(language: str):
    """The analyzer for content in *language* (anything unknown gets plain folding)."""
    if language == "ar":
        return _base() | ArabicStemFilter()
    chain = _base() | CharsetFilter(accent_map)
    if language in STEMMED_LANGUAGES:
        chain = (
            chain
            | StopFilter(stoplist=_folded_stopwords(language), minsize=1)
            | StemFilter(stemfn=stemmer_for_language(language), cachesize=50_000)
        )
    return chain


def terms(text: str, language: str) -> list[str]:
    """The index terms *text* gives in *language*, in order."""
    return [token.text for token in analyzer_for(language)(text)]


def fold(text: str) -> str:
    """Lower case without accents, Arabic normalised: for matching glossary entries."""
    return normalise_arabic(_fold(text))
