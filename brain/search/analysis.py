"""Text analysis for search: one analyzer per content language.

Every analyzer folds case and accents *before* stemming, in the index and in queries alike, so
"cooperacion" and "cooperación" reach the same stem. Arabic gets a light stemmer of its own: it
removes diacritics and tatweel, unifies hamza seats, alef maqsura and teh marbuta, and strips the
article, clitics and inflections, rather than reducing words to roots (which would conflate
اجتماعي "social" with جامعة "university"). It scored best of the stemmers compared on
tests/search_eval/arabic_words.tsv (bench/arabic_stemmers.py; Snowball and ISRI included).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import cache, lru_cache

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.support.charset import accent_map

STEMMED_LANGUAGES = ("en", "fr", "es", "pt")
# Words: letters and digits of any script, with their combining marks (Arabic harakat, or
# accents typed as separate characters); apostrophes and hyphens separate words.
WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640])+")

# Bump whenever analysis gives an index other terms or positions: an index made by an older
# version is then re-analysed when opened (brain.search.index).
# 2: sentences are SENTENCE_GAP positions apart; 3: a paragraph or list item ends a sentence;
# 4: the glossary concepts a post names are indexed with it (brain.search.concepts), and
# acronyms are not stemmed; 5: no positions in the postings, each post's words in order in
# a column instead (brain.search.sequences).
ANALYSIS_VERSION = 5
# Sentences are this many positions apart, more than any proximity search allows, so a phrase
# never matches across a sentence end. An end: . ! ? ؟ … (before a space) or a line break.
SENTENCE_GAP = 50
_SENTENCE_END = re.compile(r"[.!?\u061f\u2026\u3002][^\w\s]*\s|\n")

_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, dagger alef, tatweel
# Hamza seats unify (مسؤول, مسئول), alef maqsura is yeh, teh marbuta is heh (as often typed).
_ARABIC_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "ء", "ئ": "ء", "ى": "ي", "ة": "ه"}
)
# The article with the prepositions and conjunctions that fuse with it, longest first. Bare
# ب/ك/ل/ف are not stripped: they begin too many words (برنامج, كبير, لجنة, فكرة).
_ARABIC_ARTICLES = ("وبال", "وكال", "ولل", "وال", "فال", "بال", "كال", "لل", "ال")
_ARABIC_PRONOUNS = ("هما", "هم", "ها", "نا")
# Plural, dual and verb endings: (ending, shortest word it comes off, what replaces it). ات is
# read as the plural of a ة noun; ون/ين/ان need a base of four letters (قانون, تمكين, إنسان).
_ARABIC_PLURALS = (("ات", 4, "ه"), ("ون", 6, ""), ("ين", 6, ""), ("ان", 6, ""), ("وا", 5, ""))
# Per language, on top of ANALYSIS_VERSION: bump a language's number when only its terms change;
# an index made before then has that language's posts queued to be indexed again.
# ar 2: the light stemmer of issue 12 (bench/arabic_stemmers.py). fr 2: acronyms that are stop
# words stay, elided conjunctions go. pt 2: plurals in -ões/-ães/-ais/-eis join their singular.
# es 2: -ación/-ución and -dades meet their plural and singular (spanish_before_stemming).
ANALYSIS_VERSIONS = {"ar": 2, "es": 2, "fr": 2, "pt": 2}
# An acronym written in capitals is a name even where its letters spell a stop word: the
# French AVEC (village savings and loan associations), WHO, ONU.
ACRONYM_LENGTH = 3
# French elided words the stop list lacks ("jusqu'à", "lorsqu'il"); l' d' qu' s' n' c' j' m'
# t' are in it.
_FRENCH_ELIDED = frozenset({"jusqu", "lorsqu", "puisqu", "quoiqu"})
# Portuguese plurals the Snowball stemmer, given folded text, leaves apart from their singular
# (organizações/organização, sociais/social, possíveis/possível): (ending, shortest word, singular).
_PORTUGUESE_PLURALS = (
    ("oes", 5, "ao"),
    ("aes", 5, "ao"),
    ("aos", 5, "ao"),
    ("ais", 6, "al"),
    ("eis", 6, "el"),
    ("ois", 6, "ol"),
)


def normalise_arabic(word: str) -> str:
    return _ARABIC_MARKS.sub("", word).translate(_ARABIC_LETTERS)


def stem_arabic(word: str) -> str:
    """Light stemming: the article, clitics and inflections go, the word itself stays.

    Length guards decide what a light stemmer cannot know without a lexicon, in favour of
    keeping different words apart (tests/search_eval/arabic_words.tsv, bench/arabic_stemmers.py):
    the teh marbuta and the nisba yeh stay on a base of three letters (عملة "currency" is not
    عمل "work", جمعية "association" is not جمع "collect", محلية "local" is not محل "shop") and
    go on a longer one (قانوني "legal" is قانون "law"); a sound feminine plural ات is read as
    the plural of a ة noun (عملات is عملة)."""
    word = normalise_arabic(word)
    for article in _ARABIC_ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            word = word[len(article) :]
            break
    if word.startswith("و"):
        # Conjunction or the word's first letter (وظيفة, وقت): it goes when what is left still
        # stems to three letters. The choice depends on the stem only, so all forms agree.
        rest = _arabic_suffixes(word[1:])
        if len(rest) >= 3:
            return rest
    return _arabic_suffixes(word)


def _arabic_suffixes(word: str) -> str:
    for pronoun in _ARABIC_PRONOUNS:
        # هم after alef is the word's own (تفاهم, مساهم), not "their".
        if word.endswith(pronoun) and len(word) - len(pronoun) >= 2:
            if not (pronoun == "هم" and word.endswith("اهم")):
                word = word[: -len(pronoun)]
                # A teh marbuta is written ت before a pronoun (جمعيتنا); a short word's ت is
                # its own (بيتها, وقتها).
                if word.endswith("ت") and not word.endswith("ات") and len(word) >= 4:
                    word = word[:-1] + "ه"
            break
    for ending, shortest, replacement in _ARABIC_PLURALS:
        if word.endswith(ending) and len(word) >= shortest:
            word = word[: -len(ending)] + replacement
            break
    # ية becomes ي (the nisba rule decides next); any other teh marbuta goes on a long base.
    if (word.endswith("يه") and len(word) >= 3) or (word.endswith("ه") and len(word) >= 5):
        word = word[:-1]
    # The nisba (and "my") goes on a base of four letters or more.
    if word.endswith("ي") and len(word) >= 5:
        word = word[:-1]
    return word


class ArabicStemFilter(Filter):
    def __call__(self, tokens):
        for token in tokens:
            token.text = stem_arabic(token.text)
            yield token


class AcronymFilter(Filter):
    """Marks words written in capitals (ACRONYM_LENGTH letters or more), before lower case,
    for the stop filter to keep."""

    def __call__(self, tokens):
        for token in tokens:
            token.acronym = len(token.text) >= ACRONYM_LENGTH and token.text.isupper()
            yield token


class KeepAcronymsStopFilter(StopFilter):
    """Whoosh's stop filter, but an acronym is never a stop word."""

    def __call__(self, tokens):
        position = None  # the words left are numbered afresh, as Whoosh's filter does
        for token in tokens:
            text = token.text
            if getattr(token, "acronym", False) or (
                len(text) >= self.min and text not in self.stops
            ):
                if token.positions:
                    position = token.pos if position is None else position + 1
                    token.pos = position
                token.stopped = False
                yield token
            elif not token.removestops:
                token.stopped = True
                yield token


# Spanish words the Snowball stemmer, given folded text, keeps apart from their plural: its
# suffix list spells "ación" and "ución" with the accent that folding removed (organización
# and organizaciones must meet), and it reads "-ad" as a verb ending (sociedad, sociedades).
_SPANISH_ENDINGS = (("acion", 6, "ación"), ("ucion", 6, "ución"), ("dades", 6, "dad"))


def spanish_before_stemming(word: str) -> str:
    for ending, shortest, replacement in _SPANISH_ENDINGS:
        if word.endswith(ending) and len(word) >= shortest:
            return word[: -len(ending)] + replacement
    return word


class SpanishEndingsFilter(Filter):
    def __call__(self, tokens):
        for token in tokens:
            token.text = spanish_before_stemming(token.text)
            yield token


class KeepAcronymsStemFilter(StemFilter):
    """Whoosh's stem filter, but the glossary's acronyms keep their letters, however they are
    written: stemmed, the French CAE (a business and employment cooperative) became "ca", the
    stem of "ça". Other words in capitals are words written loud ("ÉCONOMIE SOCIALE") and
    are stemmed as usual."""

    def __call__(self, tokens):
        stem = self._stem
        acronyms = glossary_acronyms()
        for token in tokens:
            if not token.stopped and token.text not in acronyms:
                token.text = stem(token.text)
            yield token


@cache
def glossary_acronyms() -> frozenset[str]:
    """The shipped glossary's terms written in capitals (SSE, CAE, ROSCA…), folded. Read from
    the file itself: the glossary module analyses its terms with this one."""
    from brain import resources

    found = set()
    with resources.glossary().open(encoding="utf-8") as handle:
        next(handle, None)  # the header
        for line in handle:
            for cell in line.rstrip("\n").split("\t")[1:6]:
                for term in cell.split("|"):
                    term = term.strip()
                    if len(term) >= ACRONYM_LENGTH and term.isupper() and term.isalpha():
                        found.add(_fold(term))
    return frozenset(found)


class PortuguesePluralFilter(Filter):
    def __call__(self, tokens):
        for token in tokens:
            token.text = singular_portuguese(token.text)
            yield token


def singular_portuguese(word: str) -> str:
    """The singular of a folded Portuguese plural that the stemmer would keep apart."""
    for ending, shortest, singular in _PORTUGUESE_PLURALS:
        if word.endswith(ending) and len(word) >= shortest:
            return word[: -len(ending)] + singular
    return word


class FoldFilter(Filter):
    """Compatibility folding (NFKC) so full-width and ligature forms match plain letters."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = unicodedata.normalize("NFKC", token.text)
            yield token


class SentenceTokenizer(RegexTokenizer):
    """Words, as RegexTokenizer finds them, each told the number of its sentence."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        if not tokenize:
            yield from super().__call__(
                value,
                positions,
                chars,
                keeporiginal,
                removestops,
                start_pos,
                start_char,
                tokenize,
                mode,
                **kwargs,
            )
            return
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (match, sentence) in enumerate(_sentences(self.expression, value)):
            token.text = match.group(0)
            token.boost = 1.0
            token.sentence = sentence
            if keeporiginal:
                token.original = token.text
            token.stopped = False
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


def _sentences(expression: re.Pattern, value: str) -> Iterator[tuple[re.Match, int]]:
    """Each word *expression* finds in *value*, with the number of its sentence. Where
    sentences end is found once: an end between two words starts a new sentence (an end
    cannot hold a letter, so it never runs across a word)."""
    ends = [end.start() for end in _SENTENCE_END.finditer(value)]
    sentence, next_end, count = 0, 0, len(ends)
    for match in expression.finditer(value):
        start = match.start()
        if next_end < count and ends[next_end] < start:
            sentence += 1
            while next_end < count and ends[next_end] < start:
                next_end += 1
        yield match, sentence


class SentenceGapFilter(Filter):
    """Moves each sentence SENTENCE_GAP positions further than the one before. Last in the
    chain, because removing stop words numbers the remaining words afresh."""

    def __call__(self, tokens):
        for token in tokens:
            if token.positions:
                token.pos += SENTENCE_GAP * getattr(token, "sentence", 0)
            yield token


def _folded_stopwords(language: str) -> frozenset[str]:
    words = stopwords_for_language(language)
    extra = _FRENCH_ELIDED if language == "fr" else frozenset()
    return frozenset(_fold(w) for w in words) | extra


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )


def _base():
    return SentenceTokenizer(WORD) | FoldFilter() | AcronymFilter() | LowercaseFilter()


@cache
def analyzer_for(language: str):
    """The analyzer for content in *language* (anything unknown gets plain folding)."""
    if language == "ar":
        return _base() | ArabicStemFilter() | SentenceGapFilter()
    chain = _base() | CharsetFilter(accent_map)
    if language in STEMMED_LANGUAGES:
        chain = chain | KeepAcronymsStopFilter(stoplist=_folded_stopwords(language), minsize=1)
        if language == "pt":
            chain = chain | PortuguesePluralFilter()
        if language == "es":
            chain = chain | SpanishEndingsFilter()
        stemmer = stemmer_for_language(language)
        chain = chain | KeepAcronymsStemFilter(stemfn=stemmer, cachesize=50_000)
    return chain | SentenceGapFilter()


_LAST = threading.local()
_UNKNOWN = object()
WORDS_KEPT = 200_000  # words remembered per language by analysed(), before it starts afresh
_words: dict[str, dict[str, str | None]] = {}  # language → word as written → index word


def analysed(text: str, language: str) -> list[tuple[str, int]]:
    """*text*'s index words in *language*, (word, position) in order: what
    ``analyzer_for(language)`` gives, found faster. The chain's filters each take one word to
    one word or none, so each word's outcome is remembered (a post's words are mostly words
    other posts had), and only the positions are worked out per text, as the chain numbers
    them: the words left after the stop words are numbered on from the first one's place,
    and each sentence starts SENTENCE_GAP further. tests/test_search.py holds it to the
    chain. The last text analysed in this thread is remembered too (the same object, by
    identity): the index gives one post's text to its text field, its concept tags and its
    sequence column, and each asks."""
    last = getattr(_LAST, "entry", None)
    if last is not None and last[0] is text and last[1] == language:
        return last[2]
    known = _known(language)
    renumbered = language in STEMMED_LANGUAGES  # the stop filter numbers the words afresh
    words, position = [], None
    for place, (match, sentence) in enumerate(_sentences(WORD, text)):
        written = match.group(0)
        word = known.get(written, _UNKNOWN)
        if word is _UNKNOWN:
            word = known[written] = _one_word(written, language)
        if word is None:  # a stop word
            continue
        position = position + 1 if renumbered and position is not None else place
        words.append((word, position + SENTENCE_GAP * sentence))
    _LAST.entry = (text, language, words)
    return words


def word_term(written: str, language: str) -> str | None:
    """The index term of one word as WORD reads it (None for a stop word), remembered with the
    words analysed() met."""
    known = _known(language)
    word = known.get(written, _UNKNOWN)
    if word is _UNKNOWN:
        word = known[written] = _one_word(written, language)
    return word


def _known(language: str) -> dict[str, str | None]:
    """The words of *language* met lately, each with its index term (started afresh past
    WORDS_KEPT)."""
    known = _words.get(language)
    if known is None or len(known) > WORDS_KEPT:
        known = _words[language] = {}
    return known


def _one_word(written: str, language: str) -> str | None:
    """What *language*'s filters make of one word the tokenizer found (None: nothing)."""
    token = Token(positions=True, removestops=True)
    token.text, token.pos, token.boost, token.stopped, token.sentence = written, 0, 1.0, False, 0
    tokens = iter([token])
    for item in analyzer_for(language).items[1:]:  # after the tokenizer
        tokens = item(tokens)
    found = [each.text for each in tokens]
    return found[0] if found else None


def analysed_by_the_chain(text: str, language: str) -> list[tuple[str, int]]:
    """analysed(), the slow way: through the whole chain (what tests compare it with)."""
    return [(token.text, token.pos) for token in analyzer_for(language)(text, positions=True)]


class Replaying(Analyzer):
    """The analyzer of a text field of the index: *language*'s chain, whose words for the
    text being indexed come from analysed() (found once for all the fields that need them).
    Anything else (characters asked for, a query) goes through the chain."""

    def __init__(self, chain, language: str):
        self.chain = chain
        self.language = language

    def __call__(self, value, positions=False, chars=False, mode="", **kwargs):
        if chars or mode == "query" or not isinstance(value, str):
            return self.chain(value, positions=positions, chars=chars, mode=mode, **kwargs)
        return self._replay(analysed(value, self.language), positions, mode, kwargs)

    @staticmethod
    def _replay(words, positions, mode, kwargs):
        token = Token(positions, False, removestops=kwargs.get("removestops", True), mode=mode)
        for text, pos in words:
            token.text = text
            token.pos = pos
            token.boost = 1.0
            token.stopped = False
            yield token

    def has_morph(self):
        return self.chain.has_morph()

    def clean(self):
        self.chain.clean()


def terms(text: str, language: str) -> list[str]:
    """The index terms *text* gives in *language*, in order."""
    return [token.text for token in analyzer_for(language)(text)]


@lru_cache(maxsize=50_000)
def remembered_terms(text: str, language: str) -> tuple[str, ...]:
    """terms(), remembered: queries share their words, a glossary lookup analyses up to eight
    windows of words per word in five languages, and a broad concept brings hundreds of
    glossary terms to analyse."""
    return tuple(terms(text, language))


def fold(text: str) -> str:
    """Lower case without accents, Arabic normalised: for matching glossary entries."""
    return normalise_arabic(_fold(text))
