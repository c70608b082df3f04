"""The search results page (issue 14): each hit's links, names and excerpt, made cheaply."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import escape

from brain.models import BoardTranslation, Post, Role, Topic, User
from brain.ops import moderation
from brain.ops import posts as post_ops
from brain.ops.member_data import delete_account
from brain.search import excerpts
from brain.search.analysis import WORD, terms
from tests.factories import (
    PASSWORD,
    database,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
)

MARK = re.compile(r'<mark class="match term\d">([^<]*)</mark>')
# The pages run once per search backend (tests/conftest.py); the excerpts' own tests need none.
each_backend = pytest.mark.usefixtures("search_backend")


def _wanted(text: str, language: str) -> frozenset[str]:
    return frozenset(term for word in WORD.findall(text) for term in terms(word, language))


def _hit(client, text: str, **args) -> str:
    page = client.get("/search", query_string={"q": text, **args}).get_data(as_text=True)
    return page.split('<li class="hit">')[1].split("</li>")[0]


# --- the hit's links and names -----------------------------------------------------------


@each_backend
def test_a_hit_links_to_its_post_and_its_board_named_in_the_page_language(client):
    board = make_board(slug="finance", name="Solidarity finance")
    with database() as session:
        session.add(BoardTranslation(board_id=board.id, locale="fr", name="Finance solidaire"))
        session.commit()
    topic = make_topic(board=board, author=make_user(), title="Tontines", body="Tontine rules")
    hit = _hit(client, "tontine", lang="fr")
    assert f'<a class="hit-title" href="/p/{topic.first_post_id}"' in hit
    assert '<a href="/b/finance">Finance solidaire</a>' in hit
    assert "Solidarity finance" in _hit(client, "tontine", lang="en")


@each_backend
def test_a_hit_by_a_deleted_account_reads_former_member(client):
    author = make_user(username="amina", display_name="Amina Sow")
    make_topic(board=make_board(), author=author, title="Tontines", body="Tontine rules")
    with database() as session:
        delete_account(session.get(User, author.id), PASSWORD, remove_posts=False)
        session.commit()
    hit = _hit(client, "tontine")
    assert "<bdi>Former member</bdi>" in hit and "Amina" not in hit


@each_backend
def test_a_hit_in_arabic_reads_right_to_left_under_its_own_title_language(client):
    make_topic(
        board=make_board(),
        author=make_user(),
        title="التمويل الأصغر",
        body="مؤسسات التمويل الأصغر تساعد النساء.",
        language="ar",
    )
    hit = _hit(client, "تمويل")
    assert 'lang="ar" dir="auto">التمويل الأصغر</a>' in hit
    assert '<p class="excerpt" lang="ar" dir="rtl">' in hit
    assert MARK.findall(hit) == ["التمويل", "التمويل"]  # in the title, then the body


def test_a_hit_moved_to_a_board_the_reader_may_not_read_is_not_shown_before_the_index_knows(
    client, search_backend
):
    """The index follows writes a moment later: the list checks each hit's board again."""
    public = make_board()
    lounge = make_board(slug="lounge", name="Lounge", members_only=True)
    author = make_user()
    topic = make_topic(board=public, author=author, title="Mutual aid", body="aid funds")
    other = make_topic(board=public, author=author, title="Funds", body="more funds")
    search_backend.mode = "off"  # the move is not indexed yet
    try:
        with database() as session:
            session.get(Topic, topic.id).board_id = lounge.id
            session.commit()
    finally:
        search_backend.mode = "sync"
    page = client.get("/search", query_string={"q": "funds"}).get_data(as_text=True)
    assert f'href="/p/{other.first_post_id}"' in page
    assert f'href="/p/{topic.first_post_id}"' not in page and "Mutual aid" not in page


# --- the page kept for the next reader ------------------------------------------------------


@pytest.fixture
def kept(app):
    """The fragments on, as in production (the suite turns them off)."""
    app.config["PAGE_CACHE_SECONDS"] = 30
    app.extensions["brain_fragments"].clear()
    yield app
    app.extensions["brain_fragments"].clear()


@pytest.fixture
def reply(kept):
    author = make_user(username="karim")
    topic = make_topic(board=make_board(), author=author, title="Savings", body="Opening words")
    return make_reply(parent=opening_post(topic), author=author, body="Our tontine rules")


def _loads_posts(statements: list[str]) -> bool:
    return any("FROM posts JOIN topics" in statement for statement in statements)


@each_backend
def test_a_search_page_is_kept_and_its_excerpts_filled_again(kept, reply, count_queries):
    first = _hit(kept.test_client(), "tontine")
    with count_queries() as statements:
        again = _hit(kept.test_client(), "tontine")
    assert again == first and MARK.findall(again) == ["tontine"]
    assert not _loads_posts(statements)  # the list came from memory
    other = _hit(kept.test_client(), "rules")  # the same post, other words: its own excerpt
    assert MARK.findall(other) == ["rules"]


@each_backend
def test_the_kept_search_form_shows_each_search_its_own_words(kept, reply):
    """The form is kept apart from the words (one for every search with the same filters):
    the box holds each search's own words, escaped."""
    client = kept.test_client()
    for words in ("tontine", "rules", '"><script>alert(1)</script>', "tontine"):
        page = client.get("/search", query_string={"q": words}).get_data(as_text=True)
        box = re.search(r'<input type="search" id="search-q" name="q" value="([^"]*)"', page)
        assert box is not None and html.unescape(box.group(1)) == words
        assert "<script>alert(1)" not in page


@each_backend
def test_an_edit_shows_at_once_on_a_kept_search_page(kept, reply):
    assert "Our <mark" in _hit(kept.test_client(), "tontine")
    with database() as session:
        post = session.get(Post, reply.id)
        post_ops.edit_post(post, session.get(User, post.author_id), "Tontine rules, reworded")
        session.commit()
    hit = _hit(kept.test_client(), "tontine")
    assert "reworded" in hit and "Our" not in hit


@each_backend
def test_a_hide_shows_at_once_on_a_kept_search_page(kept, reply):
    moderator = make_user(username="mod", role=Role.ADMIN)
    assert f'href="/p/{reply.id}"' in _hit(kept.test_client(), "tontine")
    with database() as session:
        moderation.hide_post(
            session.get(Post, reply.id), session.get(User, moderator.id), "off topic"
        )
        session.commit()
    page = kept.test_client().get("/search?q=tontine").get_data(as_text=True)
    assert f'href="/p/{reply.id}"' not in page and "Nothing matches" in page


@each_backend
def test_a_members_kept_search_page_is_never_shown_to_a_guest(kept, reply):
    make_board(slug="lounge", name="Members' lounge", members_only=True)
    client = kept.test_client()
    log_in(client, make_user(username="amina"))
    members = client.get("/search?q=tontine").get_data(as_text=True)
    assert "Members&#39; lounge" in members and f'href="/p/{reply.id}"' in members
    # The same hits for a guest, but not the same boards to choose from.
    guests = kept.test_client().get("/search?q=tontine").get_data(as_text=True)
    assert "lounge" not in guests and f'href="/p/{reply.id}"' in guests


# --- excerpts ------------------------------------------------------------------------------


def test_an_excerpt_marks_each_form_of_the_word_but_never_part_of_another_word():
    text = "A ledger, the Ledgers and a subledger: ledgerless ledger_book."
    marked = MARK.findall(excerpts.excerpt(text, "en", _wanted("ledger", "en")))
    assert marked == ["ledger", "Ledgers", "ledger"]  # "ledger_book": _ separates words


def test_an_excerpt_numbers_each_marked_word_by_its_first_appearance():
    text = "Savings groups and loans: the groups pool savings."
    html = str(excerpts.excerpt(text, "en", _wanted("savings groups", "en")))
    assert re.findall(r"term(\d)\">(\w+)", html) == [
        ("0", "Savings"),
        ("1", "groups"),
        ("1", "groups"),
        ("0", "savings"),
    ]


def test_an_excerpt_of_a_long_post_is_whole_words_around_each_match():
    words = [f"w{n}ord" for n in range(400)]
    words[200] = "tontine"
    words[390] = "tontines"
    text = " ".join(words)
    html = excerpts.excerpt(text, "en", _wanted("tontine", "en"))
    pieces = html.striptags().split(excerpts.BETWEEN.strip())
    assert len(pieces) == 2
    for piece in pieces:
        piece = piece.strip()
        at = text.index(piece)
        assert at == 0 or text[at - 1] == " ", "begins with a whole word"
        assert at + len(piece) == len(text) or text[at + len(piece)] == " ", "ends with one"
        assert len(piece) <= excerpts.MAX_CHARS
    # Each side holds the words within SURROUND characters, and no more.
    first = pieces[0].strip()
    before = first[: first.index("tontine")]
    assert excerpts.SURROUND - 8 <= len(before) <= excerpts.SURROUND + 1


def test_an_excerpt_keeps_arabic_marks_inside_the_marked_word():
    text = "عن الاقتصادُ الاجتماعي في المغرب"
    assert MARK.findall(excerpts.excerpt(text, "ar", _wanted("الاقتصاد", "ar"))) == ["الاقتصادُ"]


def test_an_excerpt_is_none_when_no_word_matches():
    assert excerpts.excerpt("Nothing relevant here", "en", _wanted("tontine", "en")) is None


def test_a_result_without_a_marked_word_shows_the_beginning_of_its_text_escaped():
    text = "<b>Bylaws</b> & notes " + "word " * 60
    shown = str(excerpts.excerpt_or_beginning(text, "en", _wanted("tontine", "en")))
    assert shown == str(escape(text[: excerpts.MAX_CHARS])) + "…"
    short = "A short <note>"
    assert str(excerpts.excerpt_or_beginning(short, "en", frozenset())) == "A short &lt;note&gt;"


def test_an_excerpt_reads_the_same_words_as_the_pattern():
    """Words read between spaces (brain.search.excerpts._words_of) are the pattern's words,
    whatever signs, marks, digits and spaces of any kind stand between them."""
    import random

    pieces = [*"abcé ,.'’-\t\n\u00a0\u2003ز ي()«»03x\"!…—/", "\u064e", "\u0651", "\u0300", "\u0640"]
    rng = random.Random(14)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(60)))
        assert excerpts._words_of(text) == set(excerpts._WORD.findall(text)), repr(text)


@pytest.mark.parametrize("language", ["en", "fr", "es", "pt", "ar"])
def test_an_excerpt_from_the_words_the_index_keeps_is_the_excerpt_of_the_text(language):
    """The index keeps each post's words by term (brain.search.excerpts.forms, in the
    brain.search.shown column): an excerpt made from them marks exactly the words the text's
    own analysis marks, in every language, with any signs, cases and marks between words."""
    import random

    from tests.test_search import CORPUS

    texts = [body for lang, title, body in CORPUS.values() if lang == language]
    texts += [title for lang, title, body in CORPUS.values() if lang == language]
    words = [word for text in texts for word in excerpts._WORD.findall(text)]
    signs = [" ", " ", ", ", ". ", "'", "’", "-", "_", "\n", " (", ") ", "\u064e", " AVEC "]
    rng = random.Random(language)
    for _ in range(300):
        text = "".join(rng.choice(words) + rng.choice(signs) for _ in range(rng.randrange(1, 40)))
        text = "".join(c.upper() if rng.random() < 0.05 else c for c in text)
        forms = excerpts.forms(text, language)
        for sample in range(3):
            searched = " ".join(rng.sample(words, 1 + sample))
            wanted = _wanted(searched, language)
            expected = excerpts._excerpt(text, language, wanted)
            assert excerpts._excerpt(text, language, wanted, forms) == expected, (text, searched)
