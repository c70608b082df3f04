"""Administration pages: who may open them, boards, members, invitations and site settings."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from brain import settings
from brain.models import Board, Invitation, ModerationLog, Role, User
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
from tests.test_html import VNU, validate


@pytest.fixture
def people():
    return {
        "admin": make_user(username="ada", role=Role.ADMIN, display_name="Ada Admin"),
        "moderator": make_user(username="moses", role=Role.MODERATOR),
        "member": make_user(username="amina", display_name="Amina Diallo"),
    }


@pytest.fixture
def admin_client(client, people):
    log_in(client, people["admin"])
    return client


def page_urls(people, board: Board | None = None) -> list[str]:
    board = board or make_board()
    return [
        "/admin/",
        "/admin/boards",
        f"/admin/boards/{board.id}",
        "/admin/members",
        "/admin/members?state=pending",
        f"/admin/members/{people['member'].id}",
        "/admin/invitations",
        "/admin/settings",
    ]


def logged(action: str) -> int:
    with database() as session:
        return session.scalar(
            select(func.count(ModerationLog.id)).where(ModerationLog.action == action)
        )


def boards_in_order() -> list[str]:
    with database() as session:
        return list(session.scalars(select(Board.slug).order_by(Board.position, Board.id)))


def page_text(response) -> str:
    return response.get_data(as_text=True)


# --- who may open the pages --------------------------------------------------------------


def test_an_administrator_opens_every_page(admin_client, people):
    for url in page_urls(people):
        assert admin_client.get(url).status_code == 200, url


def test_a_member_gets_403_on_every_page(client, people):
    urls = page_urls(people)
    log_in(client, people["member"])
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_a_moderator_gets_403_except_on_invitations(client, people):
    urls = page_urls(people)
    log_in(client, people["moderator"])
    for url in urls:
        expected = 200 if url == "/admin/invitations" else 403
        assert client.get(url).status_code == expected, url


def test_a_guest_is_sent_to_log_in(client, people):
    for url in page_urls(people):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url


def test_a_member_cannot_change_anything_by_posting(client, people):
    board = make_board()
    log_in(client, people["member"])
    refused = [
        ("/admin/boards", {"slug": "sneaky", "name": "Sneaky", "language": "en"}),
        (f"/admin/boards/{board.id}/move", {"direction": "down"}),
        (f"/admin/members/{people['member'].id}/role", {"role": "admin"}),
        ("/admin/settings", {"registration_mode": "open", "report_threshold": "1"}),
        ("/admin/invitations", {"days": "3"}),
    ]
    for url, data in refused:
        assert submit(client, url, data).status_code == 403, url
    assert fetch(User, people["member"].id).role == Role.MEMBER
    assert boards_in_order() == ["cooperatives"]


# --- boards -------------------------------------------------------------------------------


def new_board(**fields) -> dict:
    return {"slug": "social-finance", "name": "Social finance", "language": "en", **fields}


def test_creating_a_board_lists_it_last_and_logs_it(admin_client):
    make_board()
    response = submit(admin_client, "/admin/boards", new_board(members_only="y"))
    assert response.status_code == 302
    assert boards_in_order() == ["cooperatives", "social-finance"]
    with database() as session:
        board = session.scalar(select(Board).where(Board.slug == "social-finance"))
        assert board.members_only and not board.read_only
    assert logged("create_board") == 1


@pytest.mark.parametrize(
    "slug", ["Social-Finance", "social finance", "finance-", "économie", "a--b"]
)
def test_a_board_address_must_be_lowercase_ascii_words(admin_client, slug):
    response = submit(admin_client, "/admin/boards", new_board(slug=slug))
    assert response.status_code == 200
    assert "lowercase letters" in page_text(response)
    assert boards_in_order() == []


def test_a_board_address_must_be_unique(admin_client):
    make_board(slug="social-finance")
    response = submit(admin_client, "/admin/boards", new_board())
    assert "Another board already has this address." in page_text(response)
    assert boards_in_order() == ["social-finance"]


def test_a_board_needs_a_name(admin_client):
    response = submit(admin_client, "/admin/boards", new_board(name="   "))
    assert response.status_code == 200
    assert "This field is required." in page_text(response)
    assert boards_in_order() == []


def test_boards_move_up_and_down(admin_client):
    # The factory gives every board position 1: the order falls back on creation.
    one, _two, three = (make_board(slug=slug) for slug in ("one", "two", "three"))
    response = submit(admin_client, f"/admin/boards/{three.id}/move", {"direction": "up"})
    assert response.status_code == 302
    assert boards_in_order() == ["one", "three", "two"]
    submit(admin_client, f"/admin/boards/{one.id}/move", {"direction": "down"})
    assert boards_in_order() == ["three", "one", "two"]
    assert logged("reorder_boards") == 2


def test_the_first_board_cannot_move_up(admin_client):
    first = make_board(slug="one")
    make_board(slug="two")
    response = submit(admin_client, f"/admin/boards/{first.id}/move", {"direction": "up"})
    assert response.status_code == 302
    assert boards_in_order() == ["one", "two"]
    assert logged("reorder_boards") == 0


def test_moving_a_board_needs_a_direction(admin_client):
    board = make_board()
    response = submit(admin_client, f"/admin/boards/{board.id}/move", {"direction": "sideways"})
    assert response.status_code == 400


def test_editing_a_board_changes_its_settings(admin_client):
    board = make_board()
    data = new_board(slug="coops", name="Co-operatives", read_only="y", description="New")
    response = submit(admin_client, f"/admin/boards/{board.id}", data)
    assert response.status_code == 302
    saved = fetch(Board, board.id)
    assert (saved.slug, saved.name, saved.description) == ("coops", "Co-operatives", "New")
    assert saved.read_only and not saved.members_only
    assert logged("edit_board") == 1


def test_an_unknown_board_is_404(admin_client):
    assert admin_client.get("/admin/boards/999").status_code == 404


def translations(**names) -> dict:
    data = {}
    for code in ("en", "fr", "es", "pt", "ar"):
        data[f"{code}-name"] = names.get(code, "")
        data[f"{code}-description"] = f"Description {code}" if names.get(code) else ""
    return data


def test_board_translations_show_in_that_language_and_empty_removes_them(admin_client):
    board = make_board()
    url = f"/admin/boards/{board.id}/translations"
    response = submit(admin_client, url, translations(fr="Coopératives", ar="التعاونيات"))
    assert response.status_code == 302
    assert "Coopératives" in page_text(admin_client.get("/b/cooperatives?lang=fr"))
    assert "التعاونيات" in page_text(admin_client.get("/b/cooperatives?lang=ar"))
    assert logged("translate_board") == 1
    submit(admin_client, url, translations(ar="التعاونيات"))
    with database() as session:
        saved = session.get(Board, board.id)
        assert {row.locale for row in saved.translations} == {"ar"}
        assert saved.name_in("fr") == "Cooperatives"


def add_moderator(client, board, username: str):
    return submit(client, f"/admin/boards/{board.id}/moderators", {"username": username})


def test_adding_a_moderator_lets_them_moderate_that_board(admin_client, app, people):
    board = make_board()
    topic = make_topic(board=board, author=people["admin"])
    assert add_moderator(admin_client, board, "AMINA").status_code == 302
    member = fetch(User, people["member"].id)
    assert member.role == Role.MODERATOR
    assert logged("add_moderator") == 1
    moderator_client = app.test_client()
    log_in(moderator_client, people["member"])
    assert moderator_client.get(f"/t/{topic.id}/moderate/pin").status_code == 200


def test_removing_the_last_board_of_a_moderator_makes_them_a_member(admin_client, app, people):
    board = make_board()
    topic = make_topic(board=board, author=people["admin"])
    add_moderator(admin_client, board, "amina")
    member_id = people["member"].id
    response = submit(admin_client, f"/admin/boards/{board.id}/moderators/{member_id}/remove")
    assert response.status_code == 302
    assert fetch(User, member_id).role == Role.MEMBER
    assert logged("remove_moderator") == 1
    former = app.test_client()
    log_in(former, people["member"])
    assert former.get(f"/t/{topic.id}/moderate/pin").status_code == 403


def test_a_moderator_of_two_boards_keeps_the_other(admin_client, people):
    board = make_board()
    other = make_board(slug="finance", name="Finance")
    add_moderator(admin_client, board, "amina")
    add_moderator(admin_client, other, "amina")
    submit(admin_client, f"/admin/boards/{board.id}/moderators/{people['member'].id}/remove")
    with database() as session:
        member = session.get(User, people["member"].id)
        assert member.role == Role.MODERATOR
        assert [item.slug for item in member.moderated_boards] == ["finance"]


def test_adding_an_unknown_or_administrator_moderator_is_refused(admin_client, people):
    board = make_board()
    response = add_moderator(admin_client, board, "nobody")
    assert "There is no member with that username." in page_text(response)
    response = add_moderator(admin_client, board, "ada")
    assert "Administrators already moderate every board." in page_text(response)
    assert logged("add_moderator") == 0


# --- members ------------------------------------------------------------------------------


def make_pending(username: str = "pending") -> User:
    with database() as session:
        user = register_member(username, f"{username}@example.org", PASSWORD, approved=False)
        session.commit()
        return fetch(User, user.id)


def listed(client, query: str) -> set[str]:
    html = page_text(client.get(f"/admin/members?{query}"))
    return set(re.findall(r'<span class="meta">@([^<]+)</span>', html))


def test_member_search_matches_username_display_name_and_email(admin_client, people):
    make_user(username="kwame", display_name="Kwame Mensah")
    assert listed(admin_client, "q=KWA") == {"kwame"}
    assert listed(admin_client, "q=diallo") == {"amina"}
    assert listed(admin_client, "q=kwame%40example") == {"kwame"}


def test_member_search_takes_like_wildcards_literally(admin_client, people):
    assert listed(admin_client, "q=%25") == set()
    assert listed(admin_client, "q=_") == set()


def test_member_filters(admin_client, people):
    make_pending()
    banned = make_user(username="banned")
    suspended = make_user(username="resting")
    with database() as session:
        session.get(User, banned.id).banned_at = datetime.now(UTC)
        session.get(User, suspended.id).suspended_until = datetime.now(UTC) + timedelta(days=2)
        session.commit()
    assert listed(admin_client, "state=pending") == {"pending"}
    assert listed(admin_client, "state=banned") == {"banned"}
    assert listed(admin_client, "state=suspended") == {"resting"}
    assert listed(admin_client, "state=moderators") == {"moses"}
    assert listed(admin_client, "state=admins") == {"ada"}
    assert len(listed(admin_client, "state=all")) == 6
    assert len(listed(admin_client, "state=nonsense")) == 6


def test_the_member_list_has_pages_of_25(admin_client, people):
    for number in range(30):
        make_user(username=f"member{number:02d}")
    first, second = listed(admin_client, "page=1"), listed(admin_client, "page=2")
    assert len(first) == 25 and len(second) == 8 and not first & second
    assert admin_client.get("/admin/members?page=0").status_code == 404


def test_an_approved_member_can_post(admin_client, app, people):
    board = make_board()
    topic = make_topic(board=board, author=people["admin"])
    first = opening_post(topic)
    pending = make_pending()
    author = app.test_client()
    log_in(author, pending)
    reply = {"body": "Hello everyone", "language": "en"}
    assert submit(author, f"/p/{first.id}/reply", reply).status_code == 403
    queue = page_text(admin_client.get("/admin/members?state=pending"))
    assert f"/admin/members/{pending.id}/approve" in queue
    response = submit(
        admin_client,
        f"/admin/members/{pending.id}/approve",
        {"next": "/admin/members?state=pending"},
    )
    assert response.headers["Location"] == "/admin/members?state=pending"
    assert fetch(User, pending.id).approved_at is not None
    assert logged("approve") == 1
    assert submit(author, f"/p/{first.id}/reply", reply).status_code == 302


def test_an_administrator_makes_a_member_moderator_of_chosen_boards(admin_client, people):
    board = make_board()
    make_board(slug="finance", name="Finance")
    url = f"/admin/members/{people['member'].id}/role"
    response = submit(admin_client, url, {"role": "moderator", "boards": [str(board.id)]})
    assert response.status_code == 302
    with database() as session:
        member = session.get(User, people["member"].id)
        assert member.role == Role.MODERATOR
        assert [item.slug for item in member.moderated_boards] == ["cooperatives"]
    assert logged("set_role") == 1
    submit(admin_client, url, {"role": "admin"})
    with database() as session:
        member = session.get(User, people["member"].id)
        assert member.role == Role.ADMIN and member.moderated_boards == []


def test_a_moderator_needs_at_least_one_board(admin_client, people):
    make_board()
    url = f"/admin/members/{people['member'].id}/role"
    response = submit(admin_client, url, {"role": "moderator"})
    assert "Choose the boards this moderator looks after." in page_text(response)
    assert fetch(User, people["member"].id).role == Role.MEMBER


def test_an_unknown_role_is_refused(admin_client, people):
    url = f"/admin/members/{people['member'].id}/role"
    response = submit(admin_client, url, {"role": "emperor"})
    assert response.status_code == 200
    assert fetch(User, people["member"].id).role == Role.MEMBER


def suspend(client, member, until: date, reason: str = "Cooling off"):
    return submit(
        client,
        f"/admin/members/{member.id}/suspend",
        {"suspend-until": until.isoformat(), "suspend-reason": reason},
    )


def test_suspending_until_a_date_and_lifting_it(admin_client, people):
    member = people["member"]
    response = suspend(admin_client, member, date.today() + timedelta(days=7))
    assert response.status_code == 302
    assert fetch(User, member.id).is_suspended()
    assert logged("suspend") == 1
    submit(admin_client, f"/admin/members/{member.id}/unsuspend")
    assert not fetch(User, member.id).is_suspended()
    assert logged("unsuspend") == 1


def test_a_suspension_needs_a_future_date_and_a_reason(admin_client, people):
    member = people["member"]
    response = suspend(admin_client, member, date.today() - timedelta(days=1))
    assert "Choose a date in the future." in page_text(response)
    response = suspend(admin_client, member, date.today() + timedelta(days=3), reason=" ")
    assert "This field is required." in page_text(response)
    response = submit(
        admin_client, f"/admin/members/{member.id}/suspend", {"suspend-until": "not a date"}
    )
    assert response.status_code == 200
    assert fetch(User, member.id).suspended_until is None


def test_banning_and_unbanning(admin_client, people):
    member = people["member"]
    url = f"/admin/members/{member.id}"
    response = submit(admin_client, f"{url}/ban", {"ban-reason": ""})
    assert "This field is required." in page_text(response)
    assert not fetch(User, member.id).is_banned
    assert submit(admin_client, f"{url}/ban", {"ban-reason": "Spam"}).status_code == 302
    assert fetch(User, member.id).is_banned
    submit(admin_client, f"{url}/unban")
    assert not fetch(User, member.id).is_banned
    assert (logged("ban"), logged("unban")) == (1, 1)


def test_an_administrator_cannot_ban_suspend_or_demote_themselves(admin_client, people):
    url = f"/admin/members/{people['admin'].id}"
    response = submit(admin_client, f"{url}/ban", {"ban-reason": "Oops"})
    assert "You cannot ban yourself." in page_text(response)
    response = suspend(admin_client, people["admin"], date.today() + timedelta(days=2))
    assert "You cannot suspend yourself." in page_text(response)
    response = submit(admin_client, f"{url}/role", {"role": "member"})
    assert "You cannot give up your own administrator role" in page_text(response)
    admin = fetch(User, people["admin"].id)
    assert admin.role == Role.ADMIN and not admin.is_banned and admin.suspended_until is None


def test_an_unknown_member_is_404(admin_client):
    assert admin_client.get("/admin/members/999").status_code == 404
    assert submit(admin_client, "/admin/members/999/ban", {"ban-reason": "x"}).status_code == 404


# --- invitations --------------------------------------------------------------------------


def register(client, username: str, code: str):
    return submit(
        client,
        "/register",
        {
            "username": username,
            "email": f"{username}@example.org",
            "password": "a long enough password",
            "confirm": "a long enough password",
            "invitation": code,
        },
    )


def newest_invitation() -> Invitation:
    with database() as session:
        invitation = session.scalars(select(Invitation).order_by(Invitation.id.desc())).first()
        return fetch(Invitation, invitation.id)


def by_invitation_only() -> None:
    with database() as session:
        settings.put("registration_mode", "invitation")
        session.commit()


def test_an_invitation_registers_one_person_once(admin_client, app, people):
    by_invitation_only()
    response = submit(admin_client, "/admin/invitations", {"days": "7", "note": "For Kwame"})
    assert response.status_code == 302
    invitation = newest_invitation()
    page = page_text(admin_client.get("/admin/invitations"))
    assert f"http://localhost/register?invite={invitation.code}" in page
    assert "For Kwame" in page
    assert register(app.test_client(), "kwame", invitation.code).status_code == 302
    assert fetch(Invitation, invitation.id).used_at is not None
    response = register(app.test_client(), "thandi", invitation.code)
    assert "This invitation code cannot be used" in page_text(response)
    with database() as session:
        assert session.scalar(select(User).where(User.username == "thandi")) is None


def test_an_expired_invitation_is_refused(admin_client, app, people):
    by_invitation_only()
    submit(admin_client, "/admin/invitations", {"days": "1"})
    invitation = newest_invitation()
    with database() as session:
        session.get(Invitation, invitation.id).expires_at = datetime.now(UTC) - timedelta(hours=1)
        session.commit()
    assert "Expired" in page_text(admin_client.get("/admin/invitations"))
    response = register(app.test_client(), "kwame", invitation.code)
    assert "This invitation code cannot be used" in page_text(response)


def test_a_revoked_invitation_is_refused(admin_client, app, people):
    by_invitation_only()
    submit(admin_client, "/admin/invitations", {"days": "7"})
    invitation = newest_invitation()
    response = submit(admin_client, f"/admin/invitations/{invitation.id}/revoke")
    assert response.status_code == 302
    assert fetch(Invitation, invitation.id).revoked_at is not None
    response = register(app.test_client(), "kwame", invitation.code)
    assert "This invitation code cannot be used" in page_text(response)


@pytest.mark.parametrize("days", ["0", "366", "many", ""])
def test_an_invitation_lasts_1_to_365_days(admin_client, days):
    response = submit(admin_client, "/admin/invitations", {"days": days})
    assert response.status_code == 200
    with database() as session:
        assert session.scalar(select(func.count(Invitation.id))) == 0


def test_the_invitation_form_suggests_the_configured_lifetime(admin_client, app):
    app.config["INVITATION_DAYS"] = 21
    assert 'value="21"' in page_text(admin_client.get("/admin/invitations"))


def test_a_moderator_invites_and_sees_only_their_own_invitations(client, people):
    with database() as session:
        theirs = create_invitation(session.get(User, people["admin"].id), 7, "the administrator's")
        session.commit()
        theirs_id = theirs.id
    log_in(client, people["moderator"])
    assert submit(client, "/admin/invitations", {"days": "3", "note": "mine"}).status_code == 302
    page = page_text(client.get("/admin/invitations"))
    assert "mine" in page and "the administrator" not in page
    response = submit(client, f"/admin/invitations/{theirs_id}/revoke")
    assert response.status_code == 403
    assert fetch(Invitation, theirs_id).revoked_at is None


# --- site settings ------------------------------------------------------------------------


def site_settings(**fields) -> dict:
    data = {"registration_mode": "open", "report_threshold": "3"}
    for code in ("en", "fr", "es", "pt", "ar"):
        data[f"{code}-name"] = ""
        data[f"{code}-description"] = ""
    return {**data, **fields}


def test_settings_change_the_registration_mode(admin_client, app):
    response = submit(admin_client, "/admin/settings", site_settings(registration_mode="approval"))
    assert response.status_code == 302
    newcomer = app.test_client()
    assert register(newcomer, "kwame", "").status_code == 302
    with database() as session:
        assert session.scalar(select(User).where(User.username == "kwame")).is_pending
        assert settings.registration_mode() is settings.RegistrationMode.APPROVAL


def test_the_site_name_is_shown_in_the_page_title_for_its_language(admin_client):
    data = site_settings(**{"fr-name": "Cerveau collectif", "en-name": "Collective Brain Hub"})
    submit(admin_client, "/admin/settings", data)
    assert "· Cerveau collectif</title>" in page_text(admin_client.get("/?lang=fr"))
    assert "· Collective Brain Hub</title>" in page_text(admin_client.get("/?lang=en"))
    assert "· Collective Brain Hub</title>" in page_text(admin_client.get("/?lang=es"))
    page = page_text(admin_client.get("/admin/settings"))
    assert 'value="Cerveau collectif"' in page


def test_the_report_threshold_is_saved(admin_client):
    response = submit(admin_client, "/admin/settings", site_settings(report_threshold="0"))
    assert response.status_code == 302
    with database():
        assert settings.report_threshold() == 0


@pytest.mark.parametrize(
    "fields",
    [{"report_threshold": "101"}, {"report_threshold": "-1"}, {"registration_mode": "everyone"}],
)
def test_settings_out_of_range_are_refused(admin_client, fields):
    response = submit(
        admin_client, "/admin/settings", site_settings(**{"report_threshold": "7", **fields})
    )
    assert response.status_code == 200
    with database():
        assert settings.report_threshold() != 7
        assert settings.registration_mode() is settings.RegistrationMode.OPEN


@pytest.mark.parametrize(
    "name",
    ["Brain\nBcc: x@example.org", "Brain\r\nHub", "Brain\u2028Hub", "Brain\x85Hub", "Brain\tHub"],
)
def test_a_site_name_is_one_line_without_control_characters(admin_client, name):
    # The site name goes into the subject of mails, where a line break stops every mail.
    data = site_settings(**{"en-name": name, "report_threshold": "7"})
    response = submit(admin_client, "/admin/settings", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    refusals = page.count("Write this on a single line.") + page.count("are not allowed.")
    assert refusals == 1  # one clear reason, given once
    with database():
        assert settings.get("site_name.en") == ""
        assert settings.report_threshold() != 7


# --- forms need their CSRF token ----------------------------------------------------------


def test_every_administration_form_needs_its_csrf_token(admin_client, people):
    board = make_board()
    member = people["member"]
    with database() as session:
        invitation = create_invitation(session.get(User, people["admin"].id), 7)
        session.commit()
        invitation_id = invitation.id
    posts = {
        "/admin/boards": new_board(),
        f"/admin/boards/{board.id}": new_board(),
        f"/admin/boards/{board.id}/move": {"direction": "up"},
        f"/admin/boards/{board.id}/translations": translations(fr="Coopératives"),
        f"/admin/boards/{board.id}/moderators": {"username": "amina"},
        f"/admin/boards/{board.id}/moderators/{people['moderator'].id}/remove": {},
        f"/admin/members/{member.id}/role": {"role": "admin"},
        f"/admin/members/{member.id}/approve": {},
        f"/admin/members/{member.id}/suspend": {"suspend-until": "2999-01-01"},
        f"/admin/members/{member.id}/unsuspend": {},
        f"/admin/members/{member.id}/ban": {"ban-reason": "spam"},
        f"/admin/members/{member.id}/unban": {},
        "/admin/invitations": {"days": "7"},
        f"/admin/invitations/{invitation_id}/revoke": {},
        "/admin/settings": site_settings(registration_mode="invitation"),
    }
    for url, data in posts.items():
        assert admin_client.post(url, data=data).status_code == 400, url
    assert boards_in_order() == ["cooperatives"]
    assert fetch(User, member.id).role == Role.MEMBER and not fetch(User, member.id).is_banned
    assert fetch(Invitation, invitation_id).revoked_at is None
    with database() as session:
        assert settings.registration_mode() is settings.RegistrationMode.OPEN
        assert session.scalar(select(func.count(ModerationLog.id))) == 0


# --- valid HTML ---------------------------------------------------------------------------


@pytest.mark.skipif(
    not VNU.exists() or shutil.which("java") is None,
    reason="HTML checker missing: needs Java and `npm install` (vnu-jar)",
)
def test_administration_pages_are_valid_html(admin_client, people, tmp_path):
    board = make_board()
    add_moderator(admin_client, board, "amina")
    submit(admin_client, f"/admin/boards/{board.id}/translations", translations(ar="التعاونيات"))
    submit(admin_client, "/admin/invitations", {"days": "7", "note": "For Kwame"})
    pending = make_pending()
    suspend(admin_client, people["member"], date.today() + timedelta(days=3))
    urls = [
        *page_urls(people, board),
        f"/admin/members/{pending.id}",
        "/admin/members?q=a&state=all",
    ]
    pages = {url: page_text(admin_client.get(url)) for url in urls}
    # Forms sent back with their errors.
    pages["/admin/boards?errors"] = page_text(
        submit(admin_client, "/admin/boards", new_board(slug="Bad Slug", name=""))
    )
    pages["/admin/members/ban?errors"] = page_text(
        submit(admin_client, f"/admin/members/{people['member'].id}/ban", {"ban-reason": ""})
    )
    problems = validate(pages, tmp_path)
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
