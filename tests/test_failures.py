"""Failures that must not show a bare error: a database connection lost mid-request or
gone altogether, a change made through a route that commits and then fails."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from brain import create_app
from brain.extensions import db
from brain.models import Board
from tests.factories import PASSWORD, make_board, make_topic, make_user
from tests.live import Browser, served

pytestmark = pytest.mark.commits  # a second app on the same database: real commits

PG_URL = os.environ.get("BRAIN_TEST_DATABASE_URL")
PG = pytest.mark.skipif(
    not PG_URL,
    reason="PostgreSQL only: SQLite has no connection to lose",
)
OWN_PAGE = 'class="error-page"'
SITE_PAGE = "/static/css/brain.css"  # every page of the site's own, never the server's bare one


@pytest.fixture
def second_server(session_app, tmp_path):
    """Another app on the test database (a second server), its own routes allowed."""
    made = []

    def make(**overrides):
        made.append(_copy_of(session_app, tmp_path, **overrides))
        return made[-1]

    yield make
    for copy in made:
        with copy.app_context():
            db.engine.dispose()


def _copy_of(session_app, tmp_path, **overrides):
    options = dict(session_app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    if PG_URL:
        options["connect_args"] = {**options["connect_args"], "application_name": PROBE}
    return create_app(
        {
            "DATABASE_URL": session_app.config["DATABASE_URL"],
            "SQLALCHEMY_ENGINE_OPTIONS": options,
            "SECRET_KEY": session_app.config["SECRET_KEY"],
            "SEARCH_INDEXER": "off",
            "PAGE_CACHE_SECONDS": 0,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            **overrides,
        },
        instance_path=str(tmp_path),
    )


PROBE = "brain-probe"  # application_name of the connections the probes may kill


def _terminate(pids=None) -> None:
    """End the given backends, or every connection of a probed app (none of the suite's,
    nor another test run's sharing the server)."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if pids is None:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": PROBE},
            )
        for pid in pids or []:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


@PG
def test_a_connection_lost_before_the_end_of_a_request_still_gives_its_page(app, second_server):
    copy = second_server()

    @copy.route("/_probe/saved-then-lost")
    def saved_then_lost():
        board = db.session.scalar(select(Board).where(Board.slug == "cooperatives"))
        board.description = "Saved before the connection died"
        db.session.commit()
        db.session.scalar(select(1))  # the session holds a connection again
        _terminate([db.session.scalar(text("SELECT pg_backend_pid()"))])
        return "the page"

    make_board()
    response = copy.test_client().get("/_probe/saved-then-lost")
    # Closing the session rolls back on the dead connection; that must not replace the page.
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "the page"
    with copy.app_context():
        assert db.session.scalar(select(Board.description)) == "Saved before the connection died"
    # The pool's pre-ping gives the next request a live connection.
    assert copy.test_client().get("/b/cooperatives").status_code == 200


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_the_sites_own_error_page_renders_when_the_database_is_unreachable(tmp_path, language):
    unreachable = create_app(
        {
            "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
            "SECRET_KEY": "x",
            "SEARCH_INDEXER": "off",
            "PAGE_CACHE_SECONDS": 0,
        },
        instance_path=str(tmp_path),
    )
    client = unreachable.test_client()
    client.set_cookie("lang", language)
    response = client.get("/")
    page = response.get_data(as_text=True)
    with unreachable.app_context():
        db.engine.dispose()
    assert response.status_code == 500
    assert OWN_PAGE in page and f'<html lang="{language}"' in page
    assert "/static/css/brain.css" in page
    # The title is the catalog's translation of "Something went wrong".
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with unreachable.test_request_context("/"), force_locale(language):
        title = _("Something went wrong")
    assert title in page
    assert language == "en" or title != "Something went wrong"


@PG
def test_connections_killed_under_load_never_give_a_bare_error_page(app, second_server):
    board = make_board()
    member = make_user(username="amina")
    topic = make_topic(board=board, author=member)
    copy = second_server()  # TESTING off: errors go to the site's pages
    stop = threading.Event()
    pages: list[tuple[int, str]] = []

    def killer():
        while not stop.is_set():
            _terminate()
            time.sleep(0.05)

    def visitor(browser: Browser):
        for _ in range(25):
            for path in ("/", f"/b/{board.slug}", f"/t/{topic.id}", "/search?q=law"):
                reply = browser.get(path)
                pages.append((reply.status, reply.text))

    with served(copy) as base:
        assert Browser(base).get("/").status == 200
        browsers = [Browser(base) for _ in range(4)]
        browsers[0].log_in(member.username, PASSWORD)  # a member's pages load more
        threading.Thread(target=killer, daemon=True).start()
        workers = [threading.Thread(target=visitor, args=(browser,)) for browser in browsers]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        stop.set()
        time.sleep(0.2)
        # Pre-ping: once the killing stops, pages come back.
        assert Browser(base).get(f"/t/{topic.id}").status in (200, 301)
    statuses = [status for status, _page in pages]
    assert len(pages) == 400
    failed = [page for status, page in pages if status >= 500]
    # Every failure is the site's own page (the error page, or the search page's own
    # message when the index or database fails it), never the server's bare one.
    assert all(SITE_PAGE in page for page in failed), failed[:1]
    assert statuses.count(200) > 0
