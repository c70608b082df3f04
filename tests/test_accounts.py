"""Joining and keeping an account: registration modes, invitations, password reset by mail
(through a real SMTP server), password changes, usernames that look alike, profiles, the
member directory and the members CLI."""

from __future__ import annotations

import email
import re
import socket
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from brain import mail, settings
from brain.models import Invitation, Role, User, utcnow
from brain.ops.accounts import create_invitation, register_member
from tests.factories import (
    PASSWORD,
    database,
    fetch,
    log_in,
    make_board,
    make_topic,
    make_user,
    opening_post,
    submit,
)

NEW_PASSWORD = "a brand new passphrase"


def register(client, username: str, **extra):
    data = {
        "username": username,
        "email": f"{username}@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **extra,
    }
    return submit(client, "/register", data)


def set_mode(mode: str) -> None:
    with database() as session:
        settings.put("registration_mode", mode)
        session.commit()


def user_named(username: str) -> User | None:
    with database() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is not None:
            session.expunge(user)
        return user


# --- registration modes -----------------------------------------------------------------


def test_open_registration_lets_a_new_member_post_at_once(client):
    board = make_board()
    topic = make_topic(board=board, author=make_user())
    assert register(client, "kofi").status_code == 302
    assert not user_named("kofi").is_pending
    response = submit(
        client, f"/p/{topic.first_post_id}/reply", {"body": "Hello", "language": "en"}
    )
    assert response.status_code == 302


def test_approval_mode_lets_a_new_member_read_but_not_post_until_approved(client):
    board = make_board()
    topic = make_topic(board=board, author=make_user())
    set_mode("approval")
    assert "approved by an administrator" in client.get("/register").get_data(as_text=True)
    response = register(client, "kofi")
    assert response.status_code == 302
    assert user_named("kofi").is_pending
    assert client.get(f"/t/{topic.id}-{topic.slug}").status_code == 200
    reply_url = f"/p/{topic.first_post_id}/reply"
    assert submit(client, reply_url, {"body": "Hi", "language": "en"}).status_code == 403
    with database() as session:
        user = session.scalar(select(User).where(User.username == "kofi"))
        user.approved_at = utcnow()
        session.commit()
    assert submit(client, reply_url, {"body": "Hi", "language": "en"}).status_code == 302


def test_invitation_mode_needs_a_valid_code_used_once(client, session_app):
    admin = make_user(username="admin", role=Role.ADMIN)
    set_mode("invitation")
    page = client.get("/register").get_data(as_text=True)
    assert "by invitation" in page and 'name="invitation"' in page

    response = register(client, "kofi")
    assert response.status_code == 200
    assert "cannot be used" in response.get_data(as_text=True)
    assert user_named("kofi") is None

    with database() as session:
        code = create_invitation(session.get(User, admin.id), days=3).code
        session.commit()
    # The link in the invitation fills the code in.
    assert f'value="{code}"' in client.get(f"/register?invite={code}").get_data(as_text=True)
    assert register(client, "kofi", invitation=code).status_code == 302
    invitation = user_named("kofi")
    assert invitation is not None and not invitation.is_pending

    other = session_app.test_client()
    response = register(other, "lucia", invitation=code)
    assert response.status_code == 200 and "cannot be used" in response.get_data(as_text=True)
    assert user_named("lucia") is None


def test_an_expired_or_revoked_invitation_is_refused(client):
    admin = make_user(username="admin", role=Role.ADMIN)
    set_mode("invitation")
    with database() as session:
        expired = create_invitation(session.get(User, admin.id), days=1)
        expired.expires_at = utcnow() - timedelta(minutes=1)
        revoked = create_invitation(session.get(User, admin.id), days=1)
        revoked.revoked_at = utcnow()
        session.commit()
        codes = [expired.code, revoked.code]
    for code in codes:
        response = register(client, "kofi", invitation=code)
        assert response.status_code == 200 and "cannot be used" in response.get_data(as_text=True)
    assert user_named("kofi") is None
    with database() as session:
        assert session.scalar(select(Invitation.used_at).where(Invitation.code == codes[0])) is None


# --- usernames ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["pay\u200bpal", "ad\u202emin", "zero\u200dwidth", "bi\u2066di", "soft\u00adhyphen"],
)
def test_invisible_and_direction_changing_characters_are_refused(client, name):
    response = register(client, name)
    assert response.status_code == 200
    assert "invisible or direction-changing" in response.get_data(as_text=True)
    assert user_named(name) is None


@pytest.mark.parametrize(
    "existing, lookalike",
    [
        ("paypal", "p\u0430ypal"),  # Cyrillic a
        ("lucia", "Iucia"),  # capital I for l
        ("ali", "a1i"),  # digit one for l
        ("omar", "\u03bfmar"),  # Greek omicron
    ],
)
def test_a_name_that_looks_like_an_existing_one_is_refused(client, existing, lookalike):
    make_user(username=existing)
    response = register(client, lookalike)
    assert response.status_code == 200
    assert "looks too much like" in response.get_data(as_text=True)
    assert user_named(lookalike) is None


def test_unicode_names_are_welcome_and_case_folded(session_app):
    assert register(session_app.test_client(), "Amína").status_code == 302
    assert register(session_app.test_client(), "مريم").status_code == 302
    response = register(session_app.test_client(), "AMÍNA")
    assert "taken" in response.get_data(as_text=True)


# --- password reset through a real SMTP server ------------------------------------------


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        self.arrived.set()
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    try:
        yield handler
    finally:
        mail.wait_until_sent(10)  # the mail thread sends after the response
        controller.stop()


def reset_link(message) -> str:
    body = message.get_payload(decode=True).decode()
    match = re.search(r"http://localhost(/reset/\S+)", body)
    assert match, body
    return match.group(1)


def test_reset_mail_arrives_in_the_members_language_and_works_once(client, inbox):
    with database() as session:
        register_member("amina", "amina@example.org", PASSWORD, locale="fr")
        session.commit()
    response = submit(client, "/reset", {"email": "Amina@Example.org"})
    assert response.status_code == 302
    assert inbox.arrived.wait(5)
    message = inbox.messages[0]
    assert message["To"] == "amina@example.org"
    subject = email.header.make_header(email.header.decode_header(message["Subject"]))
    assert "mot de passe" in str(subject)
    link = reset_link(message)

    page = client.get(link)
    assert page.status_code == 200
    response = submit(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    # Used once: the password hash changed, so the same link no longer works.
    assert client.get(link).status_code == 400
    fresh = client.application.test_client()
    assert submit(fresh, "/login", {"login": "amina", "password": NEW_PASSWORD}).status_code == 302


def test_the_reset_page_says_the_same_for_known_and_unknown_addresses(client, inbox):
    make_user(username="amina")
    known = submit(client, "/reset", {"email": "amina@example.org"}, follow_redirects=True)
    unknown = submit(client, "/reset", {"email": "nobody@example.org"}, follow_redirects=True)
    assert mail.wait_until_sent(5)
    assert known.status_code == unknown.status_code == 200

    def flash(response):
        return re.search(r'<p class="flash[^"]*">(.*?)</p>', response.get_data(as_text=True))[1]

    assert flash(known) == flash(unknown)
    assert len(inbox.messages) == 1  # only the real account got mail


def test_a_reset_token_expires(client, inbox, app, monkeypatch):
    import itsdangerous.timed

    make_user(username="amina")
    submit(client, "/reset", {"email": "amina@example.org"})
    assert mail.wait_until_sent(5)
    link = reset_link(inbox.messages[0])
    assert client.get(link).status_code == 200
    later = time.time() + app.config["RESET_TOKEN_HOURS"] * 3600 + 5
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: later))
    assert client.get(link).status_code == 400


def test_a_reset_token_dies_when_the_password_changes_another_way(client, inbox):
    user = make_user(username="amina")
    submit(client, "/reset", {"email": "amina@example.org"})
    assert mail.wait_until_sent(5)
    link = reset_link(inbox.messages[0])
    log_in(client, user)
    response = submit(
        client,
        "/settings/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get(link).status_code == 400


@pytest.mark.parametrize("token", ["x", "a" * 5000, "..", "eyJpZCI6MX0.AAAA.BBBB", "é" * 40])
def test_a_forged_reset_token_is_a_clear_400(client, token):
    response = client.get(f"/reset/{token}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_changing_the_password_logs_out_other_sessions(client, session_app):
    user = make_user(username="amina")
    other = session_app.test_client()
    log_in(client, user)
    log_in(other, user)
    wrong = submit(
        client,
        "/settings/password",
        {"current": "not it at all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and "not your current password" in wrong.get_data(as_text=True)
    response = submit(
        client,
        "/settings/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/settings").status_code == 200  # this session goes on
    assert other.get("/settings").status_code == 302  # the other one was logged out


# --- profiles and the directory ----------------------------------------------------------


def save_profile(client, **fields):
    data = {
        "display_name": "Amina Diallo",
        "country": "",
        "organisation": "",
        "expertise": "",
        "bio": "",
        **fields,
    }
    return submit(client, "/settings/profile", data)


def test_a_member_fills_in_the_profile_and_others_read_it(client, session_app):
    log_in(client, make_user(username="amina"))
    response = save_profile(
        client,
        country="SN",
        organisation="Union des mutuelles, Thiès",
        spoken_languages=["fr", "wo"],
        editions=["agadir-2013", "puebla-2015"],
        expertise="community savings, mutual health, community savings",
        bio="I work with **tontines**. <script>alert(1)</script>",
    )
    assert response.status_code == 302
    reader = session_app.test_client()
    reader.set_cookie("lang", "fr")
    html = reader.get("/u/amina").get_data(as_text=True)
    assert "Sénégal" in html and "wolof" in html
    assert "Agadir 2013" in html and "Puebla 2015" in html
    assert "<strong>tontines</strong>" in html and "<script>alert" not in html
    assert html.count("community savings") == 1  # repeated words are kept once


def test_profile_fields_are_validated(client):
    log_in(client, make_user(username="amina"))
    for fields in (
        {"country": "XX"},
        {"editions": ["atlantis-2099"]},
        {"spoken_languages": ["klingon"]},
        {"bio": "x" * 2001},
        {"display_name": ""},
    ):
        response = save_profile(client, **fields)
        assert response.status_code == 200, fields
        assert 'class="errors"' in response.get_data(as_text=True), fields


def make_member(username: str, **profile) -> int:
    from brain.ops.accounts import update_profile

    with database() as session:
        user = register_member(username, f"{username}@example.org", PASSWORD)
        update_profile(
            user,
            display_name=username.title(),
            country=profile.get("country"),
            organisation="",
            spoken_languages=profile.get("languages", []),
            editions=profile.get("editions", []),
            expertise=profile.get("expertise", ""),
            bio="",
        )
        session.commit()
        return user.id


def directory_names(client, **filters) -> list[str]:
    response = client.get("/members", query_string=filters)
    assert response.status_code == 200
    return re.findall(r'<h2><a href="/u/(\w+)">', response.get_data(as_text=True))


def test_the_directory_filters_by_country_edition_language_and_expertise(client):
    amina = make_member("amina", country="SN", editions=["agadir-2013"], languages=["fr", "wo"])
    make_member("joao", country="BR", editions=["brazil-2014"], languages=["pt"])
    make_member(
        "lucia", country="MX", editions=["puebla-2015", "brazil-2014"], expertise="Social finance"
    )
    make_member("pending_one", country="SN")
    with database() as session:
        session.scalar(select(User).where(User.username == "pending_one")).approved_at = None
        session.commit()
    log_in(client, fetch(User, amina))
    assert directory_names(client) == ["amina", "joao", "lucia"]
    assert directory_names(client, country="SN") == ["amina"]
    assert directory_names(client, edition="brazil-2014") == ["joao", "lucia"]
    assert directory_names(client, edition="brazil-2014", country="MX") == ["lucia"]
    assert directory_names(client, language="wo") == ["amina"]
    assert directory_names(client, expertise="finance") == ["lucia"]
    assert directory_names(client, q="JOA") == ["joao"]
    assert directory_names(client, q="%") == []  # LIKE wildcards are literal
    # Unknown filter values are ignored, never an error.
    assert directory_names(client, country="ZZZ", edition="x", language="\u202e") == [
        "amina",
        "joao",
        "lucia",
    ]


def test_the_directory_is_for_members_and_paginates(client, app):
    assert client.get("/members").status_code == 302
    members = [make_member(f"member{index}") for index in range(5)]
    log_in(client, fetch(User, members[0]))
    from brain.members import views

    saved = views.DIRECTORY_PAGE
    views.DIRECTORY_PAGE = 2
    try:
        assert len(directory_names(client, page=3)) == 1
        assert client.get("/members?page=99999999").status_code == 404
    finally:
        views.DIRECTORY_PAGE = saved


# --- the members CLI ---------------------------------------------------------------------


def test_cli_changes_roles_and_approves_pending_members(app):
    make_board(slug="finance", name="Finance")
    with database() as session:
        register_member("kofi", "kofi@example.org", PASSWORD, approved=False)
        session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["members", "pending"])
    assert "kofi" in result.output and "1 waiting" in result.output
    result = runner.invoke(args=["members", "approve", "--all-pending"])
    assert result.exit_code == 0 and "kofi approved" in result.output
    assert not user_named("kofi").is_pending

    result = runner.invoke(args=["members", "role", "kofi", "moderator", "--board", "finance"])
    assert result.exit_code == 0, result.output
    with database() as session:
        kofi = session.scalar(select(User).where(User.username == "kofi"))
        assert kofi.role is Role.MODERATOR
        assert [board.slug for board in kofi.moderated_boards] == ["finance"]
    result = runner.invoke(args=["members", "role", "kofi", "moderator", "--board", "nowhere"])
    assert result.exit_code != 0 and "nowhere" in result.output
    result = runner.invoke(args=["members", "role", "nobody", "admin"])
    assert result.exit_code != 0 and "no member" in result.output
    result = runner.invoke(args=["members", "role", "kofi", "member"])
    assert result.exit_code == 0
    with database() as session:
        kofi = session.scalar(select(User).where(User.username == "kofi"))
        assert kofi.role is Role.MEMBER and kofi.moderated_boards == []


def test_a_pending_member_cannot_write_even_by_posting_directly(client):
    board = make_board()
    topic = make_topic(board=board, author=make_user())
    with database() as session:
        register_member("kofi", "kofi@example.org", PASSWORD, approved=False)
        session.commit()
    log_in(client, user_named("kofi"))
    post = opening_post(topic)
    for url, data in (
        (f"/b/{board.slug}/new", {"title": "A topic", "language": "en", "body": "x"}),
        (f"/p/{post.id}/reply", {"body": "x", "language": "en"}),
        (f"/p/{post.id}/report", {"reason": "spam"}),
    ):
        assert submit(client, url, data).status_code == 403, url


def test_a_suspended_member_cannot_change_their_profile(client):
    user = make_user(username="amina")
    log_in(client, user)
    with database() as session:
        session.get(User, user.id).suspended_until = utcnow() + timedelta(days=2)
        session.commit()
    assert client.get("/settings/profile").status_code == 403
    assert save_profile(client, organisation="Spam Inc").status_code == 403
    assert fetch(User, user.id).organisation is None


def test_expertise_is_split_on_arabic_and_latin_commas(client):
    amina = make_user(username="amina")
    log_in(client, amina)
    save_profile(client, expertise="التمويل الاجتماعي، تعاونيات الإسكان; microfinance")
    assert fetch(User, amina.id).expertise_list == [
        "التمويل الاجتماعي",
        "تعاونيات الإسكان",
        "microfinance",
    ]
