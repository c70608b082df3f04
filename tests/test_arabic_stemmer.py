"""The Arabic light stemmer against tests/search_eval/arabic_words.tsv: words of one group share
a stem, words of different groups do not (the note column says why each group is drawn as it
is, including the deliberate joins and the broken plurals kept apart)."""

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from brain.search.analysis import normalise_arabic, stem_arabic, terms

WORDS = Path(__file__).parent / "search_eval" / "arabic_words.tsv"


def _groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    with WORDS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            groups[row["group"]].append(row["word"])
    return dict(groups)


def test_the_word_list_is_large_enough_to_mean_something():
    groups = _groups()
    assert sum(len(words) for words in groups.values()) >= 300
    assert len(groups) >= 100


@pytest.mark.parametrize("group", sorted(_groups()))
def test_every_word_of_a_group_has_one_stem(group):
    stems = {word: stem_arabic(word) for word in _groups()[group]}
    assert len(set(stems.values())) == 1, stems


def test_words_of_different_groups_have_different_stems():
    owners: dict[str, set[str]] = defaultdict(set)
    for group, words in _groups().items():
        for word in words:
            owners[stem_arabic(word)].add(group)
    merged = {stem: groups for stem, groups in owners.items() if len(groups) > 1}
    assert merged == {}


def test_currency_is_not_work():
    assert stem_arabic("العملة") != stem_arabic("العمل")
    assert stem_arabic("العملات") != stem_arabic("الأعمال")


def test_association_is_not_collect():
    assert stem_arabic("الجمعية") != stem_arabic("جمع")


def test_local_is_not_shops():
    assert stem_arabic("المحلية") != stem_arabic("محلات")
    assert stem_arabic("المحلي") != stem_arabic("المحل")


def test_law_and_legal_share_a_stem():
    assert stem_arabic("قانون") == stem_arabic("قانوني") == stem_arabic("القانونية")


def test_an_initial_waw_of_the_word_itself_stays_in_every_form():
    assert stem_arabic("وقت") == stem_arabic("الوقت") == stem_arabic("وقتها")
    assert stem_arabic("الوظيفة") == stem_arabic("وظيفة") == stem_arabic("والوظيفة")


def test_normalisation_of_hamza_alef_maqsura_teh_marbuta_tatweel_and_diacritics_stays():
    assert normalise_arabic("إأآى") == "اااي"
    assert normalise_arabic("مسؤول") == normalise_arabic("مسئول")
    assert normalise_arabic("جمعيّة") == normalise_arabic("جمعيه")
    assert normalise_arabic("تعـــاون") == "تعاون"


def test_the_arabic_analyzer_uses_the_stemmer():
    assert terms("العملة المحلية والعمل", "ar") == [
        stem_arabic("العملة"),
        stem_arabic("المحلية"),
        stem_arabic("والعمل"),
    ]
