"""Search through the glossary: one concept finds the same posts in any language (issue 12).

A small glossary of our own (written to tmp_path) keeps these tests independent of the
shipped one, which grows; posts are written in each language through the factories."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from whoosh import query as whoosh_query

from brain.models import SearchOutbox
from brain.search import glossary
from tests.factories import database, make_board, make_topic, make_user

HIT = re.compile(r'<a class="hit-title" href="/p/(\d+)"')
# The searching tests run once per search backend (tests/conftest.py); the index-upgrade
# tests at the end are about Whoosh's index.
each_backend = pytest.mark.usefixtures("search_backend")

COLUMNS = ["concept", "en", "fr", "es", "pt", "ar", "broader", "related", "ambiguous"]
CONCEPTS = [
    # concept, en, fr, es, pt, ar, broader, related, ambiguous
    ("fair_trade", "fair trade", "commerce équitable", "comercio justo", "comércio justo",
     "التجارة العادلة", "", "", ""),
    ("south_south_cooperation", "South-South cooperation", "coopération Sud-Sud",
     "cooperación Sur-Sur", "cooperação Sul-Sul", "التعاون بين بلدان الجنوب", "",
     "fair_trade", ""),
    ("savings_group", "savings group", "groupe d'épargne", "grupo de ahorro",
     "grupo de poupança", "مجموعة الادخار", "", "", ""),
    ("tontine", "tontine", "tontine", "tanda", "consórcio de poupança", "جمعية الادخار الدوارة",
     "savings_group", "", ""),
    ("rosca", "ROSCA|rotating savings and credit association", "AREC", "ROSCA", "ROSCA",
     "روسكا", "tontine", "", ""),
]  # fmt: skip


def _tsv(rows, columns=COLUMNS) -> str:
    lines = ["\t".join(columns)] + ["\t".join(row[: len(columns)]) for row in rows]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def small_glossary(tmp_path, monkeypatch):
    path = tmp_path / "glossary.tsv"
    path.write_text(_tsv(CONCEPTS), encoding="utf-8")
    monkeypatch.setattr(glossary, "GLOSSARY", path)
    return path


@pytest.fixture
def write():
    board = make_board()
    author = make_user(username="writer")
    count = iter(range(1000))

    def post(language: str, body: str) -> int:
        title = f"Notes {next(count)}"
        topic = make_topic(board=board, author=author, title=title, body=body, language=language)
        return topic.first_post_id

    return post


def hits(client, text: str) -> list[int]:
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200
    return [int(pid) for pid in HIT.findall(response.get_data(as_text=True))]


def page(client, text: str) -> str:
    html = client.get("/search", query_string={"q": text}).get_data(as_text=True)
    return " ".join(html.split())


# --- the glossary file --------------------------------------------------------------------


def test_the_glossary_reads_broader_related_and_ambiguous_columns(small_glossary):
    rosca = {c.key: c for c in glossary.concepts(small_glossary)}["rosca"]
    assert rosca.broader == ("tontine",) and rosca.related == () and rosca.ambiguous == ()
    assert rosca.terms["en"] == ("ROSCA", "rotating savings and credit association")


def test_a_glossary_of_the_first_six_columns_is_still_read(tmp_path):
    path = tmp_path / "old.tsv"
    path.write_text(_tsv(CONCEPTS, COLUMNS[:6]), encoding="utf-8")
    tontine = {c.key: c for c in glossary.concepts(path)}["tontine"]
    assert tontine.terms["es"] == ("tanda",) and tontine.broader == ()


def test_narrower_concepts_are_found_through_every_level(small_glossary):
    savings = {c.key: c for c in glossary.concepts(small_glossary)}["savings_group"]
    assert [c.key for c in glossary.narrower(savings)] == ["tontine", "rosca"]


# --- quoted phrases -----------------------------------------------------------------------


@each_backend
def test_a_quoted_phrase_also_finds_its_equivalents_exact_phrases(client, write):
    french = write("fr", "Le commerce équitable au Burkina Faso.")
    english = write("en", "Fair trade coffee from Peru.")
    spanish = write("es", "El comercio justo en Chiapas.")
    write("en", "A fair price for the trade.")  # not the phrase: quoting asks for exact words
    found = hits(client, '"commerce équitable"')
    assert set(found) == {french, english, spanish}
    assert found[0] == french


@each_backend
def test_the_page_says_a_quoted_phrase_was_expanded_and_to_what(client, write):
    write("en", "Fair trade coffee from Peru.")
    html = page(client, '"commerce équitable"')
    written = '“<bdi dir="auto">commerce équitable</bdi>”'
    assert f"Your quoted phrase {written} was also searched, word for word" in html
    assert '<bdi class="equivalent" lang="en" dir="ltr">fair trade</bdi>' in html


# --- several concepts ---------------------------------------------------------------------


@each_backend
def test_every_concept_in_a_query_is_expanded(client, write):
    both = write("es", "Comercio justo y cooperación Sur-Sur entre Brasil y Mozambique.")
    write("es", "El comercio justo en Chiapas.")  # one of the two only
    found = hits(client, "fair trade South-South cooperation")
    assert found == [both]
    html = page(client, "fair trade South-South cooperation")
    assert 'equivalents of “<bdi dir="auto">fair trade</bdi>”' in html
    assert 'equivalents of “<bdi dir="auto">South-South cooperation</bdi>”' in html


@each_backend
def test_other_words_beside_concepts_are_still_required(client, write):
    kenya = write("fr", "Le commerce équitable au Kenya.")
    write("fr", "Le commerce équitable au Burkina Faso.")
    assert hits(client, "fair trade in Kenya") == [kenya]


# --- one concept, the same posts in any language ------------------------------------------


@pytest.fixture
def south_south(write):
    return {
        "en": write("en", "South-South cooperation between Brazil and Mozambique."),
        "en-near": write("en", "We met for South-South and triangular cooperation."),
        "fr": write("fr", "La coopération Sud-Sud entre le Sénégal et le Maroc."),
        "es": write("es", "La cooperación Sur-Sur en América Latina."),
        "pt": write("pt", "A cooperação Sul-Sul entre Brasil e Angola."),
        "ar": write("ar", "التعاون بين بلدان الجنوب يعزز التنمية."),
    }


@each_backend
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("South-South cooperation", "en"),
        ("south south cooperation", "en"),
        ("coopération Sud-Sud", "fr"),
        ("cooperation Sud-Sud", "fr"),
        ("cooperación Sur-Sur", "es"),
        ("cooperacion sur sur", "es"),
        ("cooperação Sul-Sul", "pt"),
        ("cooperacao Sul-Sul", "pt"),
        ("التعاون بين بلدان الجنوب", "ar"),
    ],
)
def test_one_concept_finds_the_same_posts_in_any_language(client, south_south, text, language):
    found = hits(client, text)
    assert set(found) == set(south_south.values()), text
    typed = {post for key, post in south_south.items() if key.startswith(language)}
    assert set(found[: len(typed)]) == typed, "posts in the typed language come first"


@each_backend
def test_a_concepts_words_match_close_together_in_one_sentence(client, write):
    near = write("fr", "Un commerce plus équitable pour les paysans.")
    apart = write("fr", "Le commerce du village. Un prix équitable pour tous.")
    far = write("fr", "Le commerce local a besoin de beaucoup de règles claires et équitables.")
    for text in ("fair trade", "commerce équitable", "comercio justo"):
        found = set(hits(client, text))
        assert near in found, text
        assert apart not in found and far not in found, text


@each_backend
def test_words_typed_as_a_concept_do_not_match_across_a_sentence_end(client, write):
    apart = write("en", "The fair was a success. Trade unions came too.")
    assert hits(client, "fair trade") == []
    assert hits(client, "fair success") == [apart]  # plain words: anywhere in the post


@each_backend
def test_a_quoted_phrase_does_not_match_across_a_sentence_end(client, write):
    write("en", "The village fair. Trade is slow.")
    assert hits(client, '"fair trade"') == []


# --- narrower concepts --------------------------------------------------------------------


@pytest.fixture
def savings(write):
    return {
        "group": write("en", "Our savings group meets every Tuesday."),
        "groupe": write("fr", "Le groupe d'épargne du quartier."),
        "tontine": write("en", "The tontine pays out each month."),
        "tanda": write("es", "La tanda de mi barrio."),
        "rosca": write("en", "A rotating savings and credit association in Ghana."),
        "other": write("en", "Savings accounts at the bank."),
    }


@each_backend
def test_a_concept_also_finds_its_narrower_concepts_ranked_lower(client, savings, write):
    tontine_fr = write("fr", "La tontine des commerçantes du marché.")
    found = hits(client, "savings group")
    narrower = {savings[key] for key in ("tontine", "tanda", "rosca")} | {tontine_fr}
    assert set(found) == narrower | {savings["group"], savings["groupe"]}
    # Compared within a language (Whoosh's BM25F weighs each language's field on its own).
    assert found.index(savings["group"]) < found.index(savings["tontine"])
    assert found.index(savings["group"]) < found.index(savings["rosca"])
    assert found.index(savings["groupe"]) < found.index(tontine_fr)


@each_backend
def test_a_narrower_concept_does_not_find_the_broader_one(client, savings):
    found = set(hits(client, "tontine"))
    assert found == {savings["tontine"], savings["tanda"], savings["rosca"]}


@each_backend
def test_the_page_names_the_narrower_concepts_it_searched(client, savings):
    html = page(client, "savings group")
    assert "narrower ideas:" in html
    assert '<bdi class="narrower" lang="en" dir="ltr">tontine</bdi>' in html


@each_backend
def test_a_quoted_concept_is_not_widened_to_narrower_concepts(client, savings):
    assert set(hits(client, '"savings group"')) == {savings["group"], savings["groupe"]}


# --- indexes made before sentences were kept apart ----------------------------------------


def test_an_index_analysed_by_an_older_version_is_analysed_again(app, write, tmp_path):
    from whoosh import index as whoosh_index
    from whoosh.analysis import StandardAnalyzer
    from whoosh.fields import TEXT

    from brain.extensions import db
    from brain.search.index import VERSION_FILE, WRITER_ARGS, Indexer
    from brain.search.query import _Phrase
    from brain.search.schema import build_schema

    apart = write("en", "The fair was a success. Trade unions came too.")
    old = build_schema()
    old.remove("content_en")
    old.add("content_en", TEXT(analyzer=StandardAnalyzer(), phrase=True))  # no sentence gaps
    folder = tmp_path / "old-index"
    folder.mkdir()
    writer = whoosh_index.create_in(str(folder), old).writer(**WRITER_ARGS)
    text = "The fair was a success. Trade unions came too."
    writer.add_document(post_id=str(apart), topic_id="1", board_id="1", content_en=text)
    writer.commit()
    across = _Phrase("content_en", ["fair", "trade"], slop=3)
    within = _Phrase("content_en", ["fair", "success"], slop=3)
    word = whoosh_query.Term("content_en", "fair")
    with app.app_context():
        indexer = Indexer(str(folder), db.engine, mode="sync")
        indexer.index()
        assert (folder / VERSION_FILE).read_text().strip() != ""
        with database() as session:
            assert apart in session.scalars(select(SearchOutbox.post_id)).all()
        assert len(indexer.searcher().search(word)) == 1  # as it was, until indexed again
        indexer.drain()
        assert len(indexer.searcher().search(across)) == 0
        assert len(indexer.searcher().search(within)) == 1
        assert indexer.searcher().doc_count() == 1


def test_a_language_whose_analysis_changed_has_only_its_posts_indexed_again(app, write, tmp_path):
    import json

    from brain.extensions import db
    from brain.search.analysis import ANALYSIS_VERSION, ANALYSIS_VERSIONS
    from brain.search.index import VERSION_FILE, Indexer

    english = write("en", "Fair trade coffee from Peru.")
    others = {language: write(language, "مرحبا") for language in ANALYSIS_VERSIONS}
    folder = tmp_path / "index"
    with app.app_context():
        Indexer(str(folder), db.engine, mode="sync").index()
    older = {language: version - 1 for language, version in ANALYSIS_VERSIONS.items()}
    stamp = json.loads((folder / VERSION_FILE).read_text())
    assert stamp["version"] == ANALYSIS_VERSION
    (folder / VERSION_FILE).write_text(json.dumps(dict(stamp, languages=older)))
    with database() as session:
        session.execute(SearchOutbox.__table__.delete())
        session.commit()
    with app.app_context():
        Indexer(str(folder), db.engine, mode="sync").index()
    with database() as session:
        queued = set(session.scalars(select(SearchOutbox.post_id)))
    assert queued == set(others.values()) and english not in queued
    assert json.loads((folder / VERSION_FILE).read_text())["languages"] == ANALYSIS_VERSIONS
