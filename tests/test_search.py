"""Search: per-language retrieval, folding, glossary, permissions, index updates, hostile input,
durability. The tests marked ``each_backend`` run once per search backend (tests/conftest.py);
the others are about Whoosh's index itself, or need no index."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from brain.models import SearchOutbox, Topic
from brain.search import PER_PAGE, analysis, query
from tests.factories import (
    database,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
    submit,
)

HIT = re.compile(r'<a class="hit-title" href="/p/(\d+)"')
each_backend = pytest.mark.usefixtures("search_backend")


def hits(client, text: str, **args) -> list[int]:
    response = client.get("/search", query_string={"q": text, **args})
    assert response.status_code == 200
    return [int(pid) for pid in HIT.findall(response.get_data(as_text=True))]


CORPUS = {
    "en-coop": (
        "en",
        "Worker cooperatives in Ohio",
        "Our cooperatives are growing; cooperating helps.",
    ),
    "en-waste": ("en", "Waste pickers", "Informal waste pickers organised into an association."),
    "fr-ess": (
        "fr",
        "L'économie sociale au Sénégal",
        "Les coopératives d'épargne et la finance solidaire.",
    ),
    "fr-loi": ("fr", "Loi sur les mutuelles", "Les mutuelles de santé travaillent avec l'État."),
    "es-coop": (
        "es",
        "Cooperación en Puebla",
        "Las cooperativas de ahorro y la cooperación económica.",
    ),
    "es-comp": ("es", "Compras públicas", "Las compras públicas reservadas a empresas sociales."),
    "pt-ecosol": (
        "pt",
        "Economia solidária no Brasil",
        "As cooperativas de catadores e a economia solidária.",
    ),
    "pt-feira": ("pt", "Feiras de comércio justo", "Os produtores vendem nas feiras."),
    "ar-iqtisad": (
        "ar",
        "الاقتصاد الاجتماعي",
        "الاقتصاد الاجتماعي والتضامني في المغرب والتعاونيات النسائية.",
    ),
    "ar-tamwil": ("ar", "التمويل الأصغر", "مؤسسات التمويل الأصغر تساعد النساء."),
}


@pytest.fixture
def corpus():
    board = make_board()
    author = make_user(username="writer")
    posts = {}
    for key, (language, title, body) in CORPUS.items():
        topic = make_topic(board=board, author=author, title=title, body=body, language=language)
        posts[key] = topic.first_post_id
    return posts


RETRIEVAL = [
    # (query, must find, must not find)
    ("cooperatives", {"en-coop"}, {"en-waste"}),
    ("cooperative", {"en-coop"}, {"fr-loi"}),
    ("cooperating", {"en-coop"}, set()),
    ("waste picker", {"en-waste"}, {"en-coop"}),
    ("coopérative", {"fr-ess"}, {"fr-loi"}),
    ("mutuelle", {"fr-loi"}, {"fr-ess"}),
    ("solidaires", {"fr-ess"}, set()),
    ("état", {"fr-loi"}, set()),
    ("cooperativa", {"es-coop"}, {"es-comp"}),
    ("compra pública", {"es-comp"}, {"es-coop"}),
    ("económicas", {"es-coop"}, set()),
    ("economia solidaria", {"pt-ecosol"}, {"pt-feira"}),
    ("feira", {"pt-feira"}, {"pt-ecosol"}),
    ("catador", {"pt-ecosol"}, set()),
    ("الاقتصاد", {"ar-iqtisad"}, {"ar-tamwil"}),
    ("اقتصاد", {"ar-iqtisad"}, set()),
    ("التعاونية", {"ar-iqtisad"}, set()),
    ("تمويل", {"ar-tamwil"}, {"ar-iqtisad"}),
    ("الْاِقْتِصَادُ", {"ar-iqtisad"}, set()),
]


@each_backend
@pytest.mark.parametrize(("text", "wanted", "unwanted"), RETRIEVAL)
def test_each_language_finds_its_word_forms(client, corpus, text, wanted, unwanted):
    found = set(hits(client, text))
    assert {corpus[k] for k in wanted} <= found, text
    assert not {corpus[k] for k in unwanted} & found, text


@each_backend
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("cooperacion", "es-coop"),
        ("COOPERACIÓN", "es-coop"),
        ("economie", "fr-ess"),
        ("ÉCONOMIE SOCIALE", "fr-ess"),
        ("senegal", "fr-ess"),
        ("solidaria", "pt-ecosol"),
        ("publicas", "es-comp"),
    ],
)
def test_case_and_accents_do_not_matter(client, corpus, text, key):
    assert corpus[key] in hits(client, text)


@each_backend
def test_quoted_phrases_match_words_in_order(client, corpus):
    assert hits(client, '"finance solidaire"') == [corpus["fr-ess"]]
    assert hits(client, '"solidaire finance"') == []


@each_backend
def test_a_word_can_be_excluded(client, corpus):
    found = hits(client, "cooperativas -ahorro")
    assert corpus["es-coop"] not in found
    assert corpus["pt-ecosol"] in hits(client, "cooperativas -ahorro", language="pt")


@each_backend
def test_results_are_highlighted(client, corpus):
    html = client.get("/search", query_string={"q": "mutuelles"}).get_data(as_text=True)
    assert re.search(r'<mark class="match term\d">mutuelles</mark>', html)


@each_backend
@pytest.mark.parametrize(
    "text",
    [
        'unbalanced "quote',
        "AND",
        "OR OR",
        "NOT NOT a",
        "*",
        "?",
        "field:",
        "title:x",
        "(" * 1000,
        ")" * 1000 + "a",
        "x" * 10_000,
        "a " * 5_000,
        "الاقتصاد social économie",
        "😀🤝 café",
        "\\",
        "[a-z]",
        "-",
        '""',
        "-cooperative",
        "%00",
        "a\u202eb",
    ],
)
def test_any_text_gives_results_or_a_friendly_message(client, corpus, text):
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "result" in page or "Type some words" in page


@each_backend
def test_filters_by_language_board_author_and_date(client, corpus):
    other_board = make_board(slug="other", name="Other")
    kwame = make_user(username="kwame")
    mine = make_topic(
        board=other_board, author=kwame, title="Coopératives", body="Coopératives", language="fr"
    )
    assert set(hits(client, "coopérative", language="fr")) == {corpus["fr-ess"], mine.first_post_id}
    assert hits(client, "coopérative", board="other") == [mine.first_post_id]
    assert hits(client, "coopérative", author="KWAME") == [mine.first_post_id]
    assert hits(client, "coopérative", **{"from": "2000-01-01", "to": "2000-12-31"}) == []
    bad = client.get("/search", query_string={"q": "x", "from": "31/12/2020"})
    assert bad.status_code == 200 and "year-month-day" in bad.get_data(as_text=True)


@each_backend
def test_newest_first(client):
    board = make_board()
    user = make_user()
    first = make_topic(board=board, author=user, title="Tontine one", body="tontine")
    second = make_topic(board=board, author=user, title="Tontine two", body="tontine")
    assert hits(client, "tontine", sort="newest") == [second.first_post_id, first.first_post_id]


@each_backend
def test_guests_never_see_members_only_boards(client):
    lounge = make_board(slug="lounge", name="Lounge", members_only=True)
    user = make_user()
    topic = make_topic(board=lounge, author=user, title="Secret stokvel", body="stokvel")
    assert hits(client, "stokvel") == []
    assert hits(client, "stokvel", board="lounge") == []
    log_in(client, user)
    assert hits(client, "stokvel") == [topic.first_post_id]


@each_backend
def test_edits_and_deletions_update_search(client):
    board = make_board()
    user = make_user()
    topic = make_topic(board=board, author=user, title="Housing", body="Community land trusts")
    post = make_reply(parent=opening_post(topic), author=user, body="About tontines")
    assert hits(client, "tontines") == [post.id]
    log_in(client, user)
    submit(client, f"/p/{post.id}/edit", {"language": "en", "body": "About stokvels"})
    assert hits(client, "tontines") == [] and hits(client, "stokvels") == [post.id]
    submit(client, f"/p/{post.id}/delete")
    assert hits(client, "stokvels") == []


@each_backend
def test_moving_a_topic_moves_its_posts_in_search(client):
    public = make_board()
    lounge = make_board(slug="lounge", name="Lounge", members_only=True)
    topic = make_topic(
        board=public, author=make_user(), title="Mutual aid", body="mutual aid funds"
    )
    assert hits(client, "funds") == [topic.first_post_id]
    with database() as session:
        session.get(Topic, topic.id).board_id = lounge.id
        session.commit()
    assert hits(client, "funds") == []


@each_backend
def test_an_outbox_left_by_a_crash_is_replayed(client, app, search_backend):
    board = make_board()
    user = make_user()
    search_backend.mode = "off"  # as if the process died right after committing the post
    try:
        topic = make_topic(board=board, author=user, title="Agroecology", body="seed banks")
    finally:
        search_backend.mode = "sync"
    with database() as session:
        assert session.scalar(select(SearchOutbox.post_id)) == topic.first_post_id
    assert hits(client, "seed") == []
    assert search_backend.check()["pending"] == [topic.first_post_id]
    search_backend.drain()
    assert hits(client, "seed") == [topic.first_post_id]
    with database() as session:
        assert session.scalar(select(SearchOutbox.id)) is None


def test_a_failed_index_write_keeps_the_outbox(client, app, monkeypatch):
    board = make_board()
    user = make_user()
    indexer = app.extensions["brain_search"].indexer
    from brain.search import index as index_module

    def broken(post):
        raise RuntimeError("disk full")

    monkeypatch.setattr(index_module, "document", broken)
    indexer.mode = "off"
    try:
        topic = make_topic(board=board, author=user, title="Care", body="care cooperatives")
    finally:
        indexer.mode = "sync"
    with pytest.raises(RuntimeError):
        indexer.drain()
    monkeypatch.undo()
    indexer.drain()
    assert hits(client, "care") == [topic.first_post_id]


@each_backend
def test_rebuild_and_check(app, corpus, search_backend):
    assert search_backend.check() == {"missing": [], "stale": [], "pending": []}
    search_backend.clear()
    assert len(search_backend.check()["missing"]) == len(CORPUS)
    assert search_backend.rebuild() == len(CORPUS)
    assert search_backend.check()["missing"] == []


def test_rebuild_commits_segments_that_fit_in_memory(app, client, corpus, monkeypatch):
    # A large rebuild commits a segment every REBUILD_POSTS_PER_WRITER posts instead of
    # spilling postings to disk; the segments stay separate and every post is found.
    from brain.search import index as index_module

    monkeypatch.setattr(index_module, "REBUILD_POSTS_PER_WRITER", 2)
    indexer = app.extensions["brain_search"].indexer
    queries = ["waste pickers", "cooperatives", '"economia solidária"', "cooperatives -ahorro"]
    before = {q: sorted(hits(client, q)) for q in queries}
    assert all(before.values())
    assert indexer.rebuild() == len(CORPUS)
    with indexer.reading() as searcher:
        segments = len(searcher.reader().leaf_readers()) if not searcher.is_atomic() else 1
        assert searcher.doc_count() == len(CORPUS)
    assert segments == -(-len(CORPUS) // 2)
    assert indexer.check()["missing"] == []
    assert {q: sorted(hits(client, q)) for q in queries} == before


# --- choosing the backend ------------------------------------------------------------------


def _start(tmp_path, backend: str, database_url: str) -> None:
    from brain import create_app

    create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "x", "SEARCH_BACKEND": backend},
        instance_path=str(tmp_path / "instance"),
    )


def test_a_search_backend_the_site_cannot_run_is_refused_at_startup(tmp_path):
    sqlite = f"sqlite:///{tmp_path / 'brain.db'}"
    with pytest.raises(ValueError, match="BRAIN_SEARCH_BACKEND: whoosh or postgres, not 'solr'"):
        _start(tmp_path, "solr", sqlite)
    with pytest.raises(ValueError, match=r"postgres needs a PostgreSQL database.*sqlite"):
        _start(tmp_path, "postgres", sqlite)


def test_a_site_searching_with_whoosh_does_not_load_the_postgres_backend(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; from brain import create_app; "
        f"create_app({{'DATABASE_URL': 'sqlite:///{tmp_path / 'brain.db'}', 'SECRET_KEY': 'x'}}, "
        f"instance_path={str(tmp_path)!r}); "
        "print(sorted(name for name in sys.modules if name.startswith('brain.search.postgres')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_query_parsing_is_bounded():
    parsed = query.parse("word " * 1000)
    assert len(parsed.items) == query.MAX_ITEMS and parsed.truncated
    assert query.parse("(((").items == []


ANALYSED_ALIKE = [
    "",
    "The SSE and the CAE. Économie SOCIALE! And the ÉCONOMIE too?",
    "de la de la coopérative",  # stop words first: the first word kept keeps its place
    "ﬁnance ＡＢＣ coöperative",  # compatibility forms
    "\u0301\u0301 x",  # a word of marks only
    "الاقتصاد الاجتماعي والتضامني. و في التعاونيات",
    "l'économie d'abord… puis?\nNouveau paragraphe",
    "123 4567 a_b",
    "Las organizaciones y sociedades; as cooperativas e associações",
]


@pytest.mark.parametrize("language", [*analysis.STEMMED_LANGUAGES, "ar", "und"])
def test_analysed_finds_the_words_and_places_the_chain_finds(language):
    """analysis.analysed remembers each word's outcome and numbers the places itself: it must
    give what the whole chain gives, in every language, for every text."""
    posts = json.loads((Path(__file__).parent / "search_eval" / "posts.json").read_text())
    texts = [f"{post['title']}\n{post['body']}" for post in posts]
    texts += [f"{title}\n{body}" for _language, title, body in CORPUS.values()]
    texts += ANALYSED_ALIKE
    for text in texts * 2:  # the second time, every word is remembered
        assert analysis.analysed(text, language) == analysis.analysed_by_the_chain(
            text, language
        ), text


def test_analysed_starts_afresh_when_it_remembers_too_many_words(monkeypatch):
    monkeypatch.setattr(analysis, "WORDS_KEPT", 3)
    monkeypatch.setattr(analysis, "_words", {})
    text = "cooperatives weavers bakers farmers millers"
    assert analysis.analysed(text, "en") == analysis.analysed_by_the_chain(text, "en")
    assert analysis.analysed(f"{text} grain", "en")[-1][0] == "grain"
    assert len(analysis._words["en"]) <= 6


def test_arabic_light_stemming():
    assert analysis.stem_arabic("والتعاونيات") == "تعاون"
    assert analysis.stem_arabic("الاقتصاديّة") == analysis.stem_arabic("اقتصادية")
    assert analysis.normalise_arabic("إأآى") == "اااي"


def _write_posts(settings: dict, instance: str, board_id: int, user_id: int, count: int, tag: str):
    """A separate process writing posts, each commit indexing through the shared lock."""
    from brain import create_app
    from brain.extensions import db as child_db
    from brain.models import Board, User
    from brain.ops.posts import start_topic

    app = create_app({**settings, "SEARCH_INDEXER": "sync"}, instance_path=instance)
    with app.test_request_context("/"):
        board, user = child_db.session.get(Board, board_id), child_db.session.get(User, user_id)
        for n in range(count):
            start_topic(board, user, f"Topic {tag} {n}", f"concurrent {tag} post {n}", "en")
            child_db.session.commit()


@each_backend
@pytest.mark.commits
def test_four_processes_writing_at_once_lose_nothing(app, search_backend):
    import multiprocessing

    board = make_board()
    user = make_user()
    settings = {
        key: app.config[key]
        for key in ("DATABASE_URL", "SQLALCHEMY_ENGINE_OPTIONS", "SECRET_KEY", "SEARCH_INDEX_PATH")
        if app.config.get(key) is not None
    }
    settings["SEARCH_BACKEND"] = search_backend.name
    if search_backend.name == "whoosh":
        settings["SEARCH_INDEX_PATH"] = str(search_backend.indexer.directory)
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(
            target=_write_posts, args=(settings, app.instance_path, board.id, user.id, 50, tag)
        )
        for tag in ("alpha", "beta", "gamma", "delta")
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert [writer.exitcode for writer in writers] == [0, 0, 0, 0]
    assert search_backend.check() == {"missing": [], "stale": [], "pending": []}
    from brain import search

    with app.test_request_context("/"):
        results = search.search("concurrent", [board.id])
    assert results.total == 200  # each post once


@pytest.fixture
def sse_in_five_languages():
    board = make_board()
    author = make_user(username="writer")
    texts = {
        "en": "The social and solidarity economy in Kenya",
        "fr": "L'économie sociale et solidaire au Maroc",
        "es": "La economía social y solidaria en Puebla",
        "pt": "A economia social e solidária em Moçambique",
        "ar": "الاقتصاد الاجتماعي والتضامني في تونس",
    }
    return {
        lang: make_topic(
            board=board, author=author, title=f"SSE {lang}", body=text, language=lang
        ).first_post_id
        for lang, text in texts.items()
    }


def test_the_glossary_has_enough_carefully_filled_concepts():
    from brain.search import glossary

    concepts = glossary.concepts()
    assert len(concepts) >= 150
    for concept in concepts:
        assert all(concept.terms[lang] for lang in glossary.LANGUAGES), concept.key


@each_backend
def test_a_glossary_term_also_finds_the_other_languages_ranked_below(client, sse_in_five_languages):
    found = hits(client, "économie sociale et solidaire")
    assert set(found) == set(sse_in_five_languages.values())
    assert found[0] == sse_in_five_languages["fr"]
    page = client.get("/search", query_string={"q": "économie sociale et solidaire"})
    html = page.get_data(as_text=True)
    assert "Also searched" in html and "economía social y solidaria" in html


@each_backend
def test_glossary_expansion_works_from_arabic_and_keeps_other_words(client, sse_in_five_languages):
    assert set(hits(client, "الاقتصاد الاجتماعي والتضامني")) == set(sse_in_five_languages.values())
    # The other words still have to match: only the Spanish post mentions Puebla.
    assert hits(client, "social and solidarity economy Puebla") == [sse_in_five_languages["es"]]


@each_backend
def test_excerpts_escape_what_the_post_says(client):
    board = make_board()
    body = "About `<script>alert(1)</script>` in tontine software"
    make_topic(board=board, author=make_user(), title="Security", body=body)
    html = client.get("/search", query_string={"q": "tontine"}).get_data(as_text=True)
    excerpt = html.split('class="excerpt"')[1].split("</p>")[0]
    assert "<script>" not in excerpt and "&lt;script&gt;" in excerpt


def test_an_index_made_before_a_new_field_gains_it_and_keeps_its_documents(app, tmp_path):
    # An index written by an older version (here: without the Meeting Point's "coop" field)
    # is opened, not rebuilt: the field is added and the documents already in it stay.
    from whoosh import index as whoosh_index
    from whoosh.fields import Schema

    from brain.extensions import db
    from brain.search.index import WRITER_ARGS, Indexer
    from brain.search.schema import build_schema

    old = build_schema()
    old_schema = Schema(**{name: field for name, field in old.items() if name != "coop"})
    folder = tmp_path / "old-index"
    folder.mkdir()
    writer = whoosh_index.create_in(str(folder), old_schema).writer(**WRITER_ARGS)
    writer.add_document(post_id="1", topic_id="1", board_id="1", content_en="tontines")
    writer.commit()
    with app.app_context():
        indexer = Indexer(str(folder), db.engine, mode="sync")
        assert "coop" in indexer.index().schema.names()
        assert indexer.searcher().doc_count() == 1  # the indexer closes its searcher


def test_a_result_is_read_from_its_column_and_its_text_is_stored_once(app, client):
    # What a result shows (id, language, text) is one column value; the stored fields no
    # longer hold the text a second time. Text that could upset the encoding: the column's
    # separator, an emoji, Arabic.
    from brain.search import excerpts, shown, vectors
    from brain.search.sequences import SEQUENCE_COLUMN

    body = "Tontine \x1f savings \U0001f331 in Dakar, تعاونية"
    topic = make_topic(board=make_board(), author=make_user(), title="Tontines", body=body)
    post_id = opening_post(topic).id
    html = client.get("/search", query_string={"q": "tontine"}).get_data(as_text=True)
    assert re.search(r'<mark class="match term\d">Tontine</mark> \S+ <mark', html)
    with app.app_context():
        searcher = app.extensions["brain_search"].indexer.searcher()
        docnum = searcher.document_number(post_id=str(post_id))
        assert "text" not in searcher.stored_fields(docnum)
        (found,) = vectors.shown(searcher, [docnum])
        # Each value's place is written with the column, however few the values.
        for leaf, _offset in searcher.leaf_searchers():
            for name in (shown.SHOWN_COLUMN, SEQUENCE_COLUMN):
                assert leaf.reader().column_reader(name, translate=False).had_stored_offsets
    assert (found.post_id, found.language) == (post_id, "en")
    assert found.text.startswith("Tontines\nTontine ") and found.text.endswith(" Dakar, تعاونية")
    # The rendered post has no control character left; the column takes any text.
    anything = shown.Shown(12, "ar", "a\x1fb\x1f\ud800 تعاونية")
    again = shown.decode(shown.encode(anything))
    assert again[:3] == anything[:3] and again.forms == excerpts.forms(anything.text, "ar")


def test_results_written_before_the_column_existed_keep_their_excerpts(app, tmp_path):
    # An index written by the version before the "shown" column: its documents keep their
    # text in the stored fields, and are read from there; documents written since, from the
    # column. Both segments are searched at once.
    from whoosh import index as whoosh_index
    from whoosh.fields import Schema

    from brain.extensions import db
    from brain.search.index import WRITER_ARGS
    from brain.search.schema import build_schema
    from brain.search.shown import SHOWN_COLUMN
    from brain.search.whoosh_backend import WhooshBackend

    new = build_schema()
    old_schema = Schema(**{name: field for name, field in new.items() if name != SHOWN_COLUMN})
    folder = tmp_path / "old-index"
    folder.mkdir()
    old = "Old tontines of Thiès\nThe tontine met on Sundays."
    writer = whoosh_index.create_in(str(folder), old_schema).writer(**WRITER_ARGS)
    writer.add_document(
        post_id="7", board_id="1", language="fr", text=old, content_fr=old, concepts_fr=old
    )
    writer.commit()
    with app.app_context():
        backend = WhooshBackend(str(folder), db.engine, mode="sync")
        assert SHOWN_COLUMN in backend.indexer.index().schema.names()
        writer = backend.indexer.index().writer(**WRITER_ARGS)
        later = "New tontines\nA tontine in Ziguinchor."
        writer.add_document(
            post_id="8", board_id="1", content_fr=later, concepts_fr=later, shown=(8, "fr", later)
        )
        writer.commit(merge=False)
        apart = backend.search("tontine", [1])
        backend.optimize()  # one segment: the older document's column value is empty
        merged = backend.search("tontine", [1])
    for results in (apart, merged):
        excerpts = {hit.post_id: str(hit.excerpt) for hit in results.hits}
        assert set(excerpts) == {7, 8}
        assert "Thiès" in excerpts[7] and "Ziguinchor" in excerpts[8]
        assert all('<mark class="match' in excerpt for excerpt in excerpts.values())


@each_backend
def test_the_total_is_an_exact_count_past_the_first_page_too(client):
    # Matches are counted as an array (brain.search.vectors), so the total is exact even when
    # only the first page is scored and shown.
    board = make_board()
    author = make_user()
    for n in range(PER_PAGE + 5):
        make_topic(board=board, author=author, title=f"Tontine {n}", body="A rotating fund.")
    make_topic(board=board, author=author, title="Microcredit", body="Solidarity loans.")

    def heading(text: str) -> str:
        html = client.get("/search", query_string={"q": text}).get_data(as_text=True)
        return " ".join(html.split('id="results-heading">')[1].split("</h2>")[0].split())

    assert heading("tontine") == f"{PER_PAGE + 5} results"
    assert heading("microcredit") == "1 result"


def test_threads_opening_a_new_index_at_once_all_get_it(app, tmp_path):
    # A worker's indexer thread and its first request may open the index at the same moment;
    # creating it twice would fail ("_MAIN_0.toc exists").
    import threading

    from brain.extensions import db
    from brain.search.index import Indexer

    with app.app_context():
        indexer = Indexer(str(tmp_path / "fresh"), db.engine, mode="sync")
    start = threading.Barrier(8)
    opened, failed = [], []

    def open_it():
        start.wait()
        try:
            opened.append(indexer.index())
        except Exception as problem:  # the test reports any failure
            failed.append(problem)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failed == [] and len(opened) == 8 and len({id(ix) for ix in opened}) == 1


def test_an_index_that_cannot_be_read_gives_a_page_that_says_so(
    client, corpus, monkeypatch, caplog
):
    from whoosh.searching import Searcher

    def broken(*args, **kwargs):
        raise OSError("Input/output error")

    monkeypatch.setattr(Searcher, "leaf_searchers", broken)
    response = client.get("/search", query_string={"q": "cooperatives"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Searching is not possible at the moment" in page
    assert 'value="cooperatives"' in page  # the form, filled in, to try again
    assert "Reading the search index failed" in caplog.text


@pytest.mark.parametrize(
    "singular, plural",
    [
        ("organización", "organizaciones"),
        ("organizacion", "organizaciones"),  # typed without the accent
        ("comunicación", "comunicaciones"),
        ("sociedad", "sociedades"),
        ("ciudad", "ciudades"),
        ("nación", "naciones"),
    ],
)
def test_a_spanish_singular_and_its_plural_meet(singular, plural):
    from brain.search.analysis import terms

    assert terms(singular, "es") == terms(plural, "es")


def test_an_acronym_is_not_stemmed():
    from brain.search.analysis import terms

    # Stemmed, the French CAE (business and employment cooperative) was "ca", as "ça" is.
    assert terms("CAE", "fr") != terms("ça", "fr")
    assert terms("La CAE de Lyon", "fr") == ["cae", "lyon"]


@each_backend
def test_a_quoted_phrase_of_three_words_needs_them_in_a_row(client):
    # Words of a quoted phrase must come in a row, in one sentence: two of them next to each
    # other elsewhere in the post are not enough.
    board, user = make_board(), make_user()
    whole = make_topic(board=board, author=user, title="Stones", body="A blue river stone here.")
    apart = make_topic(
        board=board, author=user, title="Rivers", body="The sky was blue, river calm. River stone."
    )
    assert hits(client, '"blue river stone"') == [whole.first_post_id]
    assert set(hits(client, '"river stone"')) == {whole.first_post_id, apart.first_post_id}
    html = client.get("/search", query_string={"q": '"river stone"'}).get_data(as_text=True)
    assert re.search(
        r'<mark class="match term\d">river</mark> <mark class="match term\d">stone', html
    )
