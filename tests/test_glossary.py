"""The glossary file: the shipped one is sound; each kind of problem in a broken one is found."""

from __future__ import annotations

import csv

import pytest

from brain import resources
from brain.search import glossary
from brain.search.glossary_check import HEADER, LANGUAGES, check

# A sound two-concept glossary; each test below breaks it in one way.
SAVINGS_GROUP = {
    "concept": "savings_group",
    "en": "savings group",
    "fr": "groupe d'épargne",
    "es": "grupo de ahorro",
    "pt": "grupo de poupança",
    "ar": "مجموعة ادخار",
    "broader": "",
    "related": "",
    "ambiguous": "",
}
TONTINE = {
    "concept": "tontine",
    "en": "tontine|njangi",
    "fr": "tontine",
    "es": "tontina",
    "pt": "tontina",
    "ar": "تونتين",
    "broader": "savings_group",
    "related": "",
    "ambiguous": "",
}


def write(tmp_path, *rows: dict[str, str], header: tuple[str, ...] = HEADER):
    path = tmp_path / "glossary.tsv"
    lines = ["\t".join(header)] + ["\t".join(row[column] for column in HEADER) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def messages(path) -> str:
    return "\n".join(str(problem) for problem in check(path))


def test_the_shipped_glossary_has_no_problems():
    assert messages(resources.glossary()) == ""


def test_the_shipped_glossary_has_400_concepts_in_every_language_with_a_hierarchy():
    with resources.glossary().open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) >= 400
    assert all(row[language].strip() for row in rows for language in LANGUAGES)
    broader = {row["concept"]: set(filter(None, row["broader"].split("|"))) for row in rows}
    savings_groups = {key for key, up in broader.items() if "savings_group" in up}
    assert {"rosca", "vsla", "asca"} <= savings_groups
    assert "microfinance" in broader["microcredit"]
    assert "solidarity_finance" in broader["microfinance"]


def named(text: str) -> list[str]:
    """The keys of the shipped glossary's concepts of which *text* is a term."""
    match = glossary.lookup(text)
    return [concept.key for concept in match.concepts] if match else []


@pytest.mark.parametrize(
    "name",
    [
        "ROSCA",
        "tontine",
        "tontines",
        "susu",
        "njangi",
        "tanda",
        "pandero",
        "xitique",
        "kixikila",
        "الجمعية الدوارة",
        "جمعيات الادخار الدوارة",
        "التونتين",
    ],
)
def test_the_local_names_of_a_rotating_savings_group_are_one_concept(name):
    # A susu in Kumasi, a tontine in Thiès, a gam'eya in Cairo: one idea, each post found
    # whichever name the searcher knows.
    assert named(name) == ["rosca"]


@pytest.mark.parametrize(
    "singular, plural",
    [
        ("المشروع الاجتماعي", "المشاريع الاجتماعية"),
        ("القرض الصغير", "القروض الصغيرة"),
        ("البنك التعاوني", "البنوك التعاونية"),
        ("صندوق الضمان", "صناديق الضمان"),
        ("الإطار القانوني", "الأطر القانونية"),
        ("المصنع المستعاد", "المصانع المستعادة"),
        ("بنك الطعام", "بنوك الطعام"),
    ],
)
def test_an_arabic_broken_plural_names_the_concept_of_its_singular(singular, plural):
    # A light stemmer cannot join مشروع and مشاريع: the glossary lists both.
    assert named(singular) and named(plural) == named(singular)


@pytest.mark.parametrize(
    "singular, plural",
    [
        ("microcrédit", "microcrédits"),
        ("organización no gubernamental", "organizaciones no gubernamentales"),
        ("asociación de vecinos", "asociaciones de vecinos"),
        ("préstamo de honor", "préstamos de honor"),
        ("emploi vert", "emplois verts"),
        ("salário mínimo", "salários mínimos"),
    ],
)
def test_a_plural_the_stemmer_keeps_apart_names_the_concept_of_its_singular(singular, plural):
    # The Snowball stemmers give "microcredit"/"microcred" and "asoci"/"asociacion": the
    # glossary lists the form the stemmer does not join.
    assert named(singular) and named(plural) == named(singular)


@pytest.mark.parametrize(
    "term, concept",
    [
        ("cajas de ahorro comunales", "vsla"),
        ("poupança e crédito rotativo", "vsla"),
        ("جمعيات الادخار", "savings_group"),
        ("employee buyout", "employee_buyout"),
        ("reprise par les salariés", "employee_buyout"),
        ("recovered factories", "recovered_enterprise"),
        ("recicladores", "waste_pickers"),
        ("mutirão de habitação", "mutual_aid_housing"),
        ("العمل المحلي", "local_employment"),
        ("local work", "local_employment"),
    ],
)
def test_regional_names_and_everyday_phrases_are_terms(term, concept):
    assert concept in named(term)


def test_local_work_and_local_currency_stay_apart():
    # العمل (work) and العملة (currency): the stemmer keeps them apart, so does the glossary.
    assert named("العمل المحلي") == ["local_employment"]
    assert named("العملة المحلية") == ["community_currency"]


def test_a_kind_of_idea_is_found_from_the_idea():
    concepts = {concept.key: concept for concept in glossary.concepts()}

    def kinds(key: str) -> set[str]:
        return {kind.key for kind in glossary.narrower(concepts[key])}

    assert {"rosca", "vsla", "stokvel"} <= kinds("savings_group")
    assert "recovered_enterprise" in kinds("employee_buyout")
    assert {"social_enterprise", "social_business"} <= kinds("social_entrepreneurship")


def test_a_sound_glossary_has_no_problems(tmp_path):
    assert check(write(tmp_path, SAVINGS_GROUP, TONTINE)) == []


def test_a_different_header_is_a_problem(tmp_path):
    path = write(tmp_path, SAVINGS_GROUP, header=HEADER[:6])
    assert "the header must be" in messages(path)


def test_a_row_with_missing_columns_is_a_problem(tmp_path):
    path = write(tmp_path, SAVINGS_GROUP)
    path.write_text(path.read_text(encoding="utf-8") + "tontine\ttontine\n", encoding="utf-8")
    assert "line 3: 2 columns instead of 9" in messages(path)


def test_a_concept_key_twice_is_a_problem(tmp_path):
    path = write(tmp_path, SAVINGS_GROUP, {**TONTINE, "concept": "savings_group", "broader": ""})
    assert "concept savings_group is already on line 2" in messages(path)


@pytest.mark.parametrize("key", ["Savings_Group", "savings group", "savings__group", "_tontine"])
def test_a_key_that_is_not_snake_case_is_a_problem(tmp_path, key):
    path = write(tmp_path, {**SAVINGS_GROUP, "concept": key})
    assert "is not snake_case" in messages(path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_language_without_terms_is_a_problem(tmp_path, language):
    path = write(tmp_path, SAVINGS_GROUP, {**TONTINE, language: ""})
    assert f"tontine: no {language} term" in messages(path)


def test_an_empty_term_between_bars_is_a_problem(tmp_path):
    path = write(tmp_path, SAVINGS_GROUP, {**TONTINE, "en": "tontine||njangi"})
    assert "tontine: an empty en term" in messages(path)


def test_a_term_that_analyses_to_nothing_is_a_problem(tmp_path):
    # Only stop words: the index would never see it.
    path = write(tmp_path, SAVINGS_GROUP, {**TONTINE, "fr": "tontine|de la"})
    assert "tontine: fr term 'de la' analyses to nothing" in messages(path)


def test_one_analysed_term_in_two_concepts_is_a_problem(tmp_path):
    # Different spellings, the same analysed terms: "groupes d'epargne" is "groupe d'épargne".
    path = write(tmp_path, SAVINGS_GROUP, {**TONTINE, "fr": "tontine|groupes d'epargne"})
    problems = messages(path)
    assert "fr term" in problems and "savings_group" in problems and "tontine" in problems


def test_a_shared_term_marked_ambiguous_in_only_one_concept_is_a_problem(tmp_path):
    path = write(
        tmp_path,
        SAVINGS_GROUP,
        {**TONTINE, "fr": "tontine|groupe d'épargne", "ambiguous": "groupe d'épargne"},
    )
    assert "mark it ambiguous in each of them" in messages(path)


def test_a_shared_term_marked_ambiguous_in_both_concepts_is_allowed(tmp_path):
    path = write(
        tmp_path,
        {**SAVINGS_GROUP, "ambiguous": "groupe d'épargne"},
        {**TONTINE, "fr": "tontine|groupes d'épargne", "ambiguous": "groupes d'épargne"},
    )
    assert check(path) == []


def test_an_ambiguous_entry_that_is_not_a_term_of_the_row_is_a_problem(tmp_path):
    path = write(tmp_path, SAVINGS_GROUP, {**TONTINE, "ambiguous": "susu"})
    assert "tontine: ambiguous 'susu' is not one of its terms" in messages(path)


@pytest.mark.parametrize("kind", ["broader", "related"])
def test_a_link_to_a_concept_that_does_not_exist_is_a_problem(tmp_path, kind):
    path = write(tmp_path, SAVINGS_GROUP, {**TONTINE, kind: "rosca"})
    assert f"tontine: {kind} concept 'rosca' does not exist" in messages(path)


@pytest.mark.parametrize("kind", ["broader", "related"])
def test_a_concept_linked_to_itself_is_a_problem(tmp_path, kind):
    path = write(tmp_path, SAVINGS_GROUP, {**TONTINE, kind: "tontine"})
    assert f"tontine is its own {kind} concept" in messages(path)


def test_a_cycle_of_broader_concepts_is_a_problem(tmp_path):
    path = write(tmp_path, {**SAVINGS_GROUP, "broader": "tontine"}, TONTINE)
    assert "broader concepts form a cycle: savings_group → tontine → savings_group" in messages(
        path
    )


def test_related_concepts_may_point_at_each_other(tmp_path):
    path = write(tmp_path, {**SAVINGS_GROUP, "related": "tontine"}, {**TONTINE, "related": ""})
    assert check(path) == []


def test_the_command_prints_the_problems_and_exits_1(app, tmp_path):
    path = write(tmp_path, SAVINGS_GROUP, {**TONTINE, "broader": "rosca"})
    result = app.test_cli_runner().invoke(args=["search", "glossary-check", str(path)])
    assert result.exit_code == 1
    assert "broader concept 'rosca' does not exist" in result.output


def test_the_command_passes_the_shipped_glossary(app):
    result = app.test_cli_runner().invoke(args=["search", "glossary-check"])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output
