"""Issue 16, the holes closed: one visibility rule for posts, no power without good standing,
pending accounts, search checking its hits again, logging out everywhere, text the database
cannot hold, one strict number helper, normalising before validating, and two people
registering the same name at the same moment."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select, update

from brain import create_app, permissions, search
from brain.database import InvalidText
from brain.extensions import db
from brain.models import (
    Board,
    Invitation,
    ModerationLog,
    Post,
    Role,
    Topic,
    User,
    utcnow,
)
from brain.ops import cooperation as cooperation_ops
from brain.ops import posts as post_ops
from brain.ops.accounts import register_member, set_role, username_key
from brain.ops.moderation import hide_post, suspend_member
from brain.ops.text import parse_count
from tests.factories import (
    CSRF_FIELD,
    PASSWORD,
    database,
    fetch,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
    submit,
)
from tests.live import served as serve

# --- helpers -------------------------------------------------------------------------------


def count(model, *where) -> int:
    with database() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def make_moderator(*, username: str, board: Board) -> User:
    user = make_user(username=username)
    with database() as session:
        set_role(session.get(User, user.id), Role.MODERATOR, [session.get(Board, board.id)])
        session.commit()
    return fetch(User, user.id)


def make_pending(*, username: str) -> User:
    with database() as session:
        user = register_member(username, f"{username}@example.org", PASSWORD, approved=False)
        session.commit()
        return fetch(User, user.id)


def suspend(member: User, *, by: User) -> None:
    with database() as session:
        suspend_member(
            session.get(User, member.id),
            session.get(User, by.id),
            utcnow() + timedelta(days=1),
            "cooling off",
        )
        session.commit()


def is_logged_in(client) -> bool:
    """Whether *client*'s cookies still name a member: /settings answers, or sends to log in."""
    response = client.get("/settings")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200, response.status_code
    return True


def client_with(app, cookies: dict[str, str]):
    """A new browser given copies of another one's cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


# --- 1. one visibility rule: a hidden post cannot be shown, quoted or answered -------------

HIDDEN_WORDS = "quartz xylophone remark"


@pytest.fixture
def hidden_reply(app):
    board = make_board()
    starter = make_user(username="starter")
    author = make_user(username="author")
    reader = make_user(username="reader")
    moderator = make_moderator(username="warden", board=board)
    topic = make_topic(board=board, author=starter)
    reply = make_reply(parent=opening_post(topic), author=author, body=f"A {HIDDEN_WORDS}.")
    with database() as session:
        hide_post(session.get(Post, reply.id), session.get(User, moderator.id), "insults")
        session.commit()
    return SimpleNamespace(
        board=board, topic=topic, reply=reply, author=author, reader=reader, moderator=moderator
    )


def test_another_member_cannot_open_the_reply_form_of_a_hidden_post(client, hidden_reply):
    log_in(client, hidden_reply.reader)
    response = client.get(f"/p/{hidden_reply.reply.id}/reply")
    assert response.status_code == 404
    assert HIDDEN_WORDS not in response.get_data(as_text=True)


def test_another_member_cannot_quote_a_hidden_post(client, hidden_reply):
    log_in(client, hidden_reply.reader)
    response = client.get(f"/p/{hidden_reply.reply.id}/reply?quote=1")
    assert response.status_code == 404
    assert HIDDEN_WORDS not in response.get_data(as_text=True)


def test_another_member_cannot_post_a_reply_to_a_hidden_post(client, hidden_reply):
    log_in(client, hidden_reply.reader)
    before = count(Post)
    response = submit(
        client,
        f"/p/{hidden_reply.reply.id}/reply",
        {"body": "Answering what I should not see", "language": "en"},
    )
    assert response.status_code == 404
    assert count(Post) == before


def test_the_boards_moderator_can_still_open_the_reply_form_of_a_hidden_post(client, hidden_reply):
    log_in(client, hidden_reply.moderator)
    assert client.get(f"/p/{hidden_reply.reply.id}/reply").status_code == 200


def test_the_author_of_a_hidden_post_is_told_it_cannot_be_answered(client, hidden_reply):
    log_in(client, hidden_reply.author)
    response = client.get(f"/p/{hidden_reply.reply.id}/reply")
    assert response.status_code == 403
    assert "This post is hidden by a moderator and cannot be answered." in response.get_data(
        as_text=True
    )


def test_the_reply_form_of_a_deleted_post_is_not_found(client, hidden_reply):
    deleted = make_reply(parent=opening_post(hidden_reply.topic), author=hidden_reply.author)
    with database() as session:
        post_ops.delete_post(session.get(Post, deleted.id))
        session.commit()
    log_in(client, hidden_reply.reader)
    assert client.get(f"/p/{deleted.id}/reply").status_code == 404


# --- 2. suspended or banned staff keep no power ------------------------------------------


@pytest.fixture
def staff(app):
    board = make_board()
    author = make_user(username="author")
    admin = make_user(username="chief", role=Role.ADMIN)
    moderator = make_moderator(username="warden", board=board)
    topic = make_topic(board=board, author=author)
    reply = make_reply(parent=opening_post(topic), author=author)
    return SimpleNamespace(board=board, admin=admin, moderator=moderator, topic=topic, reply=reply)


def staff_requests(f) -> dict[str, tuple[str, str, dict | None]]:
    """(method, url, form) of every power a moderator holds, by name."""
    topic, post = f.topic.id, f.reply.id
    return {
        "hide post": ("POST", f"/p/{post}/hide", {"reason": "off topic"}),
        "lock": ("POST", f"/t/{topic}/moderate/lock", {"reason": "heated"}),
        "pin": ("POST", f"/t/{topic}/moderate/pin", {"reason": "useful"}),
        "hide topic": ("POST", f"/t/{topic}/moderate/hide", {"reason": "spam"}),
        "reports queue": ("GET", "/mod/reports", None),
        "moderation log": ("GET", "/mod/log", None),
        "create invitation": ("POST", "/admin/invitations", {"days": "7", "note": "for Ama"}),
    }


STAFF_POWERS = [
    "hide post",
    "lock",
    "pin",
    "hide topic",
    "reports queue",
    "moderation log",
    "create invitation",
]


def send(client, method: str, url: str, form: dict | None):
    return submit(client, url, form) if method == "POST" else client.get(url)


@pytest.mark.parametrize("power", STAFF_POWERS)
def test_a_moderator_in_good_standing_holds_the_power(client, staff, power):
    method, url, form = staff_requests(staff)[power]
    log_in(client, staff.moderator)
    response = send(client, method, url, form)
    assert response.status_code == (302 if method == "POST" else 200)


@pytest.mark.parametrize("power", STAFF_POWERS)
def test_a_suspended_moderator_is_refused_and_nothing_is_recorded(client, staff, power):
    method, url, form = staff_requests(staff)[power]
    suspend(staff.moderator, by=staff.admin)
    logged, invitations = count(ModerationLog), count(Invitation)
    log_in(client, staff.moderator)
    assert send(client, method, url, form).status_code == 403
    assert count(ModerationLog) == logged
    assert count(Invitation) == invitations


def test_an_administrator_in_good_standing_opens_the_administration(client, staff):
    log_in(client, staff.admin)
    assert client.get("/admin/").status_code == 200


def test_a_suspended_administrator_is_refused_the_administration(client, staff):
    other_admin = make_user(username="deputy", role=Role.ADMIN)
    suspend(staff.admin, by=other_admin)
    log_in(client, staff.admin)
    assert client.get("/admin/").status_code == 403


STANDINGS = ["active", "suspended", "pending", "banned"]


def member_with(role: Role, standing: str, board: Board) -> User:
    """A member object (never saved) of *role* and *standing*; moderators moderate *board*."""
    now = utcnow()
    user = User(
        id=7,
        username="someone",
        role=role,
        approved_at=now - timedelta(days=30),
        suspended_until=None,
        banned_at=None,
    )
    user.moderated_boards = [board] if role is Role.MODERATOR else []
    if standing == "suspended":
        user.suspended_until = now + timedelta(days=1)
    elif standing == "pending":
        user.approved_at = None
    elif standing == "banned":
        user.banned_at = now
    return user


@pytest.mark.parametrize("standing", STANDINGS)
@pytest.mark.parametrize("role", list(Role))
def test_only_a_member_in_good_standing_holds_the_powers_of_their_role(role, standing):
    board = Board(id=3, slug="coops", name="Coops", members_only=False, read_only=False)
    topic = Topic(id=5, board=board, author_id=1, is_locked=False, hidden_at=None)
    member = member_with(role, standing, board)
    held = {
        "moderates": permissions.moderates(member, board),
        "is_administrator": permissions.is_administrator(member),
        "is_staff": permissions.is_staff(member),
        "can_reply": permissions.can_reply(member, topic),
        "can_edit_profile": permissions.can_edit_profile(member),
    }
    active = standing == "active"
    assert held == {
        "moderates": active and role in (Role.MODERATOR, Role.ADMIN),
        "is_administrator": active and role is Role.ADMIN,
        "is_staff": active and role in (Role.MODERATOR, Role.ADMIN),
        "can_reply": active,
        "can_edit_profile": active,
    }


# --- 3. pending accounts ------------------------------------------------------------------


def test_a_pending_member_cannot_fill_in_their_profile(client):
    pending = make_pending(username="newcomer")
    log_in(client, pending)
    response = submit(
        client,
        "/settings/profile",
        {"display_name": "Cheap Pills", "country": "", "bio": "Buy now at example.com"},
    )
    assert response.status_code == 403
    assert "once an administrator has approved your account" in response.get_data(as_text=True)
    member = fetch(User, pending.id)
    assert (member.display_name, member.bio) == (pending.display_name, pending.bio)


@pytest.mark.parametrize("viewer", ["guest", "another member"])
def test_a_pending_members_profile_is_not_found_by_others(client, viewer):
    make_pending(username="newcomer")
    if viewer == "another member":
        log_in(client, make_user(username="neighbour"))
    assert client.get("/u/newcomer").status_code == 404


@pytest.mark.parametrize("viewer", ["the member", "an administrator"])
def test_a_pending_members_profile_is_shown_to_them_and_to_administrators(client, viewer):
    pending = make_pending(username="newcomer")
    log_in(
        client, pending if viewer == "the member" else make_user(username="chief", role=Role.ADMIN)
    )
    assert client.get("/u/newcomer").status_code == 200


# --- 4. search applies the visibility rule to its hits ------------------------------------

HIT = re.compile(r'<a class="hit-title" href="/p/(\d+)"')


def hits(client, text: str) -> list[int]:
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200
    return [int(post_id) for post_id in HIT.findall(response.get_data(as_text=True))]


def indexed(text: str, board_ids: list[int]) -> list[int]:
    """What the index itself finds, before any check against the database."""
    with database():
        return [hit.post_id for hit in search.search(text, board_ids).hits]


@pytest.fixture
def indexed_topic(client):
    board = make_board()
    topic = make_topic(
        board=board,
        author=make_user(),
        title="Quokka savings circles",
        body="Our quokka circle saves every week.",
    )
    assert hits(client, "quokka") == [topic.first_post_id]  # indexed, and shown to guests
    return topic


def test_search_does_not_list_a_topic_hidden_after_it_was_indexed(client, indexed_topic):
    with database() as session:
        # A Core UPDATE: the outbox hook never hears of it, so the index keeps the post.
        session.execute(
            update(Topic).where(Topic.id == indexed_topic.id).values(hidden_at=utcnow())
        )
        session.commit()
    assert hits(client, "quokka") == []
    assert indexed("quokka", [indexed_topic.board_id]) == [indexed_topic.first_post_id]


def test_search_does_not_show_guests_a_board_made_members_only_after_indexing(
    client, indexed_topic
):
    with database() as session:
        session.execute(
            update(Board).where(Board.id == indexed_topic.board_id).values(members_only=True)
        )
        session.commit()
    assert hits(client, "quokka") == []
    assert indexed("quokka", [indexed_topic.board_id]) == [indexed_topic.first_post_id]


# --- 5. logging out ends the session everywhere -------------------------------------------


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def test_a_session_cookie_copied_before_logout_stops_working_after_it(app, client):
    log_in(client, make_user())
    copied = {"session": cookie(client, app.config["SESSION_COOKIE_NAME"])}
    assert is_logged_in(client_with(app, copied))
    assert submit(client, "/logout").status_code == 302
    assert not is_logged_in(client_with(app, copied))


def test_a_remember_me_cookie_copied_before_logout_stops_working_after_it(app, client):
    user = make_user()
    response = submit(
        client, "/login", {"login": user.username, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    copied = {name: cookie(client, name)}
    assert is_logged_in(client_with(app, copied))
    assert submit(client, "/logout").status_code == 302
    assert not is_logged_in(client_with(app, copied))


@pytest.fixture
def second_server(session_app, tmp_path):
    """Another app on the same database and secret key, as a second server would be."""
    shared = {
        key: session_app.config[key]
        for key in ("DATABASE_URL", "SQLALCHEMY_ENGINE_OPTIONS", "SECRET_KEY")
        if session_app.config.get(key) is not None
    }
    other = create_app(
        {**shared, "TESTING": True, "SEARCH_INDEXER": "off", "PAGE_CACHE_SECONDS": 0},
        instance_path=str(tmp_path),
    )
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.mark.commits
def test_logging_out_on_one_server_ends_the_session_on_another(app, client, second_server):
    log_in(client, make_user())
    copied = {"session": cookie(client, app.config["SESSION_COOKIE_NAME"])}
    assert is_logged_in(client_with(second_server, copied))
    assert submit(client, "/logout").status_code == 302
    assert not is_logged_in(client_with(second_server, copied))


def test_logging_out_leaves_the_members_other_sessions_logged_in(app, client):
    user = make_user()
    laptop = app.test_client()
    log_in(client, user)
    log_in(laptop, user)
    assert submit(client, "/logout").status_code == 302
    assert is_logged_in(laptop)
    assert not is_logged_in(client)


def test_changing_the_password_ends_the_members_other_sessions(app, client):
    user = make_user()
    laptop = app.test_client()
    log_in(client, user)
    log_in(laptop, user)
    new = "a different long password"
    response = submit(
        client, "/settings/password", {"current": PASSWORD, "password": new, "confirm": new}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not is_logged_in(laptop)
    assert is_logged_in(client)


# --- 6. text the database cannot hold -----------------------------------------------------

REFUSED_AT_THE_DATABASE = "Something you sent is too long or contains characters that are not"


def test_a_cookie_holding_a_nul_character_is_refused(client):
    client.set_cookie("lang", "fr\x00")
    response = client.get("/")
    assert response.status_code == 400
    assert "characters that are not allowed" in response.get_data(as_text=True)


def test_the_database_refuses_an_over_long_string_when_it_is_flushed(app):
    with database() as session:
        session.add(Board(slug="s" * 200, name="Long", description="", position=1))
        with pytest.raises(InvalidText, match=r"Board\.slug"):
            session.flush()
        session.rollback()
    assert count(Board) == 0


def test_the_database_refuses_a_nul_character_in_a_query_parameter(app):
    with database() as session:
        with pytest.raises(InvalidText):
            session.execute(select(User.id).where(User.username == "ami\x00na"))
        session.rollback()


def test_text_that_slips_past_the_forms_is_answered_400_with_the_sites_page(client, monkeypatch):
    """A form that forgot a limit: the database layer still refuses, and says so."""
    from brain.members import views
    from brain.ops.accounts import update_profile

    def lengthening(member, **fields):
        update_profile(member, **{**fields, "display_name": "n" * 65})

    monkeypatch.setattr(views, "update_profile", lengthening)
    user = make_user()
    log_in(client, user)
    response = submit(client, "/settings/profile", {"display_name": "Amina", "country": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert REFUSED_AT_THE_DATABASE in page and "Collective Brain" in page
    assert fetch(User, user.id).display_name == user.display_name


# --- 7. one strict number helper ----------------------------------------------------------


@pytest.mark.parametrize(
    "raw, number",
    [
        ("12", 12),
        ("0", 0),
        ("①", None),
        ("²", None),
        ("١٢", None),
        (" 1", None),
        ("1 ", None),
        ("-1", None),
        ("+1", None),
        ("1e3", None),
        ("1_000", None),
        ("", None),
        (str(2**31), None),
        (None, None),
    ],
)
def test_parse_count_reads_only_plain_ascii_whole_numbers(raw, number):
    assert parse_count(raw) == number


def test_parse_count_reads_every_number_up_to_its_default_maximum():
    # The default maximum is the largest database id (2**31 - 1), ten digits long.
    assert parse_count("1000000000") == 1_000_000_000
    assert parse_count(str(2**31 - 1)) == 2**31 - 1


def test_parse_count_refuses_a_number_over_the_given_maximum():
    assert parse_count("999", maximum=999) == 999
    assert parse_count("1000", maximum=999) is None


SDG_ERROR = "Sustainable Development Goals are numbered 1 to 17."


@pytest.fixture
def meeting_point(app):
    return make_board(slug=app.config["MEETING_POINT_BOARD"], name="Meeting Point")


def cooperation_form(**overrides) -> dict:
    return {
        "title": "Training on rotating funds",
        "body": "We look for training on rotating funds.",
        "language": "en",
        "kind": "request",
        "modality": "training",
        "themes": ["social-finance"],
        "countries": ["SN"],
        "sdgs": ["8"],
        "languages": ["en"],
        **overrides,
    }


def make_cooperation(*, board: Board, author: User) -> Topic:
    details = cooperation_ops.Details(
        kind="request",
        modality="training",
        themes=["social-finance"],
        countries=["SN"],
        sdgs=[8],
        languages=["en"],
    )
    with database() as session:
        topic = cooperation_ops.post_cooperation(
            session.get(Board, board.id),
            session.get(User, author.id),
            "Rotating funds",
            "We look for training on rotating funds.",
            "en",
            details,
        )
        session.commit()
        return fetch(Topic, topic.id)


@pytest.mark.parametrize("goal", ["①", "²"])
def test_a_meeting_point_post_with_an_sdg_that_is_not_a_number_gets_the_sdg_error(
    client, meeting_point, goal
):
    log_in(client, make_user())
    response = submit(client, "/meeting-point/new", cooperation_form(sdgs=[goal]))
    assert response.status_code == 200
    assert SDG_ERROR in response.get_data(as_text=True)
    assert count(Topic) == 0


@pytest.mark.parametrize("goal", ["①", "²"])
def test_editing_meeting_point_details_with_an_sdg_that_is_not_a_number_gets_the_sdg_error(
    client, meeting_point, goal
):
    author = make_user()
    topic = make_cooperation(board=meeting_point, author=author)
    log_in(client, author)
    details = {k: v for k, v in cooperation_form(sdgs=[goal]).items() if k not in {"title", "body"}}
    response = submit(client, f"/meeting-point/{topic.id}/details", details)
    assert response.status_code == 200
    assert SDG_ERROR in response.get_data(as_text=True)


def test_a_board_page_number_in_superscript_digits_is_not_found(client):
    board = make_board()
    assert client.get(f"/b/{board.slug}?page=²").status_code == 404


# --- 8. normalise first, then validate ----------------------------------------------------

# U+FB2C becomes three characters under NFC: 70 typed characters are stored as 210.
SWELLING_TITLE = "\ufb2c" * 70
TITLE_ERROR = "Between 3 and 200 characters."
ONE_LINE_ERROR = "Write this on a single line."


def longest_title() -> int:
    with database() as session:
        return session.scalar(select(func.max(func.length(Topic.title)))) or 0


def test_a_topic_title_too_long_once_normalised_is_refused(client):
    board = make_board()
    log_in(client, make_user())
    response = submit(
        client,
        f"/b/{board.slug}/new",
        {"title": SWELLING_TITLE, "body": "About savings.", "language": "en"},
    )
    assert response.status_code == 200
    assert TITLE_ERROR in response.get_data(as_text=True)
    assert count(Topic) == 0


def test_an_edited_opening_title_too_long_once_normalised_is_refused(client):
    author = make_user()
    topic = make_topic(board=make_board(), author=author)
    first = opening_post(topic)
    log_in(client, author)
    response = submit(
        client,
        f"/p/{first.id}/edit",
        {
            "title": SWELLING_TITLE,
            "body": first.body_source,
            "language": "en",
            "version": str(first.version),
        },
    )
    assert response.status_code == 200
    assert TITLE_ERROR in response.get_data(as_text=True)
    assert fetch(Topic, topic.id).title == topic.title
    assert longest_title() <= 200


def test_a_meeting_point_title_too_long_once_normalised_is_refused(client, meeting_point):
    log_in(client, make_user())
    response = submit(client, "/meeting-point/new", cooperation_form(title=SWELLING_TITLE))
    assert response.status_code == 200
    assert TITLE_ERROR in response.get_data(as_text=True)
    assert count(Topic) == 0


def test_a_split_title_too_long_once_normalised_is_refused(client):
    board = make_board()
    author = make_user()
    topic = make_topic(board=board, author=author)
    reply = make_reply(parent=opening_post(topic), author=author)
    log_in(client, make_moderator(username="warden", board=board))
    response = submit(client, f"/p/{reply.id}/split", {"title": SWELLING_TITLE, "reason": ""})
    assert response.status_code == 200
    assert TITLE_ERROR in response.get_data(as_text=True)
    assert count(Topic) == 1
    assert fetch(Post, reply.id).topic_id == topic.id
    assert longest_title() <= 200


def test_a_username_too_long_once_case_folded_is_refused_at_registration(client):
    name = "ῧ" * 32  # 32 characters typed, 96 once case-folded: more than the key holds
    response = submit(
        client,
        "/register",
        {
            "username": name,
            "email": "long@example.org",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    )
    assert response.status_code == 200
    assert "That username is too long. Please choose a shorter one." in response.get_data(
        as_text=True
    )
    assert count(User) == 0


def test_a_topic_title_with_a_line_break_is_refused(client):
    board = make_board()
    log_in(client, make_user())
    response = submit(
        client,
        f"/b/{board.slug}/new",
        {"title": "a\nbc", "body": "About savings.", "language": "en"},
    )
    assert response.status_code == 200
    assert ONE_LINE_ERROR in response.get_data(as_text=True)
    assert count(Topic) == 0


def test_a_display_name_with_a_line_break_is_refused(client):
    user = make_user(display_name="Amina Diallo")
    log_in(client, user)
    response = submit(client, "/settings/profile", {"display_name": "Amina\nDiallo", "country": ""})
    assert response.status_code == 200
    assert ONE_LINE_ERROR in response.get_data(as_text=True)
    assert fetch(User, user.id).display_name == "Amina Diallo"


# --- 9. registering the same name at the same moment --------------------------------------

RACERS = 3
ROUNDS = 5
NAME_TAKEN = ("That username is taken", "looks too much like an existing member")


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Report a redirect as the response it is, instead of following it."""

    def redirect_request(self, *args, **kwargs):
        return None


def _fetch(opener, url: str, form: dict | None = None) -> tuple[int, str]:
    data = urlencode(form, doseq=True).encode() if form is not None else None
    try:
        with opener.open(url, data=data, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        try:
            return error.code, error.read().decode()
        finally:
            error.close()


@pytest.fixture
def served(app):
    with serve(app) as base:
        yield base


def _register_at_once(base: str, username: str) -> list[tuple[int, str]]:
    """RACERS browsers register *username* (each with its own address) at the same moment."""
    barrier = threading.Barrier(RACERS)
    answers: list[tuple[int, str] | BaseException] = [None] * RACERS

    def racer(n: int) -> None:
        try:
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _KeepRedirects()
            )
            status, page = _fetch(opener, f"{base}/register")
            assert status == 200, status
            match = CSRF_FIELD.search(page)
            form = {
                "csrf_token": match.group(1) or match.group(2),
                "username": username,
                "email": f"{username}.{n}@example.org",
                "password": "a long enough password",
                "confirm": "a long enough password",
            }
            barrier.wait(timeout=60)
            answers[n] = _fetch(opener, f"{base}/register", form)
        except BaseException as problem:  # reported by the test, not lost in the thread
            barrier.abort()
            answers[n] = problem

    threads = [threading.Thread(target=racer, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return answers


@pytest.mark.commits
def test_the_same_username_registered_at_the_same_moment_makes_one_account(served):
    for round_ in range(ROUNDS):
        username = f"racer{round_}"
        answers = _register_at_once(served, username)
        statuses = sorted(status for status, _page in answers)
        assert all(status in (200, 302) for status in statuses), (username, statuses)
        assert statuses.count(302) == 1, (username, statuses)
        for status, page in answers:
            if status == 200:
                assert any(words in page for words in NAME_TAKEN), (username, page[:2000])
        assert count(User, User.username_key == username_key(username)) == 1, username
