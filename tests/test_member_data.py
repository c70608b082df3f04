"""A member's own data: downloading a copy of it, and deleting the account (anonymised, with
their posts kept or removed as the administrators decided)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from brain import settings
from brain.models import (
    Board,
    Cooperation,
    Interest,
    LoginSession,
    Post,
    PostRevision,
    Role,
    StatusChange,
    Topic,
    User,
)
from brain.ops import cooperation as coop_ops
from brain.ops import moderation
from brain.ops import posts as post_ops
from brain.ops.accounts import reset_token, update_profile
from brain.vocabulary.meeting import Status
from tests.factories import (
    PASSWORD,
    csrf_token,
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
from tests.test_html import VNU, validate

HIT = re.compile(r'<a class="hit-title" href="/p/(\d+)"')


def hits(client, text: str, **args) -> list[int]:
    response = client.get("/search", query_string={"q": text, **args})
    assert response.status_code == 200
    return [int(pid) for pid in HIT.findall(response.get_data(as_text=True))]


def download(client) -> dict:
    response = client.get("/settings/data")
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data(as_text=True))


def delete_account(client, password: str = PASSWORD, confirm: bool = True):
    data = {"password": password}
    if confirm:
        data["confirm"] = "y"
    return client.post(
        "/settings/delete",
        data={"csrf_token": csrf_token(client, "/settings/delete"), **data},
    )


def use_setting(value: settings.DeletedAccountPosts) -> None:
    with database() as session:
        settings.put("deleted_account_posts", value.value)
        session.commit()


def meeting_board() -> int:
    with database() as session:
        board = Board(slug="meeting-point", name="Meeting Point", description="", position=2)
        session.add(board)
        session.commit()
        return board.id


def post_cooperation(author: User, board_id: int, title: str, body: str, kind: str) -> int:
    details = coop_ops.Details(
        kind=kind,
        modality="training",
        themes=["social-finance"],
        countries=["SN"],
        sdgs=[8],
        languages=["fr"],
    )
    with database() as session:
        topic = coop_ops.post_cooperation(
            session.get(Board, board_id), session.get(User, author.id), title, body, "en", details
        )
        session.commit()
        return topic.id


def express_interest(member: User, topic_id: int, message: str) -> None:
    with database() as session:
        coop_ops.express_interest(
            session.get(Cooperation, topic_id), session.get(User, member.id), message
        )
        session.commit()


@pytest.fixture
def amina():
    return make_user(username="amina", display_name="Amina Diallo")


@pytest.fixture
def admin():
    return make_user(username="ada", role=Role.ADMIN, display_name="Ada Admin")


# --- the settings page --------------------------------------------------------------------


def test_the_settings_page_offers_the_download_and_the_deletion(client, amina):
    log_in(client, amina)
    page = client.get("/settings").get_data(as_text=True)
    assert 'href="/settings/data"' in page and 'href="/settings/delete"' in page


def test_guests_are_sent_to_log_in(client):
    for url in ("/settings/data", "/settings/delete"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


# --- downloading ------------------------------------------------------------------------


def test_the_copy_is_a_json_attachment_named_for_the_member_and_the_day(client, amina):
    log_in(client, amina)
    response = client.get("/settings/data")
    assert response.mimetype == "application/json"
    today = datetime.now(UTC).date().isoformat()  # the test member's time zone is UTC
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=collective-brain-amina-{today}.json"
    )
    assert response.headers["Cache-Control"] == "no-store"


def test_a_name_in_any_script_makes_a_valid_file_name(client):
    log_in(client, make_user(username="فاطمة"))
    response = client.get("/settings/data")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''collective-brain-%D9%81%D8%A7%D8%B7%D9%85%D8%A9-" in disposition
    assert json.loads(response.get_data(as_text=True))["account"]["username"] == "فاطمة"


def test_the_copy_holds_the_account_the_profile_and_every_post(client, amina, admin):
    board = make_board()
    with database() as session:
        member = session.get(User, amina.id)
        update_profile(
            member,
            display_name="Amina Diallo",
            country="SN",
            organisation="Réseau des coopératives",
            spoken_languages=["fr", "wo"],
            editions=["agadir-2013"],
            expertise="social finance, tontines",
            bio="I run a *savings* group.",
        )
        session.commit()
    topic = make_topic(board=board, author=amina, title="Tontines", body="Our tontine rules")
    edited = make_reply(parent=opening_post(topic), author=amina, body="First words")
    hidden = make_reply(parent=opening_post(topic), author=amina, body="Words a moderator hid")
    deleted = make_reply(parent=opening_post(topic), author=amina, body="Words I took back")
    others = make_topic(board=board, author=admin, title="Stokvels", body="Stokvels in Durban")
    with database() as session:
        moderator = session.get(User, admin.id)
        post_ops.edit_post(session.get(Post, edited.id), session.get(User, amina.id), "New words")
        moderation.hide_post(session.get(Post, hidden.id), moderator, "Off topic")
        post_ops.delete_post(session.get(Post, deleted.id))
        moderation.report_post(
            session.get(Post, others.first_post_id), session.get(User, amina.id), "Spam?", 0
        )
        session.commit()

    log_in(client, amina)
    data = download(client)
    account = data["account"]
    assert (account["username"], account["email"]) == ("amina", "amina@example.org")
    assert account["profile"]["organisation"] == "Réseau des coopératives"
    assert account["profile"]["academy_editions"] == ["agadir-2013"]
    assert account["profile"]["languages_spoken"] == ["fr", "wo"]
    assert account["profile"]["bio_markdown"] == "I run a *savings* group."
    posts = {post["id"]: post for post in data["posts"]}
    assert set(posts) == {topic.first_post_id, edited.id, hidden.id, deleted.id}
    opening = posts[topic.first_post_id]
    assert opening["opens_topic"] and opening["topic"] == {"id": topic.id, "title": "Tontines"}
    assert opening["board"]["slug"] == "cooperatives" and opening["language"] == "en"
    assert opening["permalink"] == f"/p/{topic.first_post_id}"
    assert client.get(opening["permalink"]).status_code in (301, 302)
    assert posts[edited.id]["markdown"] == "New words" and posts[edited.id]["edited_at"]
    assert [v["markdown"] for v in posts[edited.id]["earlier_versions"]] == ["First words"]
    assert posts[hidden.id]["hidden"]["reason"] == "Off topic"
    assert posts[hidden.id]["markdown"] == "Words a moderator hid"
    assert posts[deleted.id]["deleted_at"] is not None
    assert [r["reason"] for r in data["reports_filed"]] == ["Spam?"]
    assert [m["action"] for m in data["moderation_of_your_account"]] == ["hide_post"]
    assert data["moderation_of_your_account"][0]["reason"] == "Off topic"


def test_the_copy_has_no_password_hash_and_no_login_session(client, amina):
    log_in(client, amina)
    body = client.get("/settings/data").get_data(as_text=True)
    with database() as session:
        stored = session.get(User, amina.id)
        digests = session.scalars(
            select(LoginSession.key_digest).where(LoginSession.user_id == amina.id)
        ).all()
        secrets = [stored.password_hash, *digests]
    assert digests and not any(secret in body for secret in secrets)
    assert "password" not in body and "session" not in body


def test_the_copy_holds_meeting_point_posts_and_interest_but_not_others_words(client, amina):
    board_id = meeting_board()
    kwame = make_user(username="kwame", display_name="Kwame Mensah")
    own = post_cooperation(amina, board_id, "Training on tontines", "We offer it", "offer")
    theirs = post_cooperation(kwame, board_id, "Rotating funds", "We need it", "request")
    express_interest(amina, theirs, "We can help with rotating funds")
    express_interest(kwame, own, "Kwame's private message to Amina")
    # Another member's hidden post and report stay theirs.
    other_topic = make_topic(board=make_board(), author=kwame, title="Kwame's topic", body="x")
    with database() as session:
        moderation.hide_post(
            session.get(Post, other_topic.first_post_id), session.get(User, kwame.id), "Kwame's"
        )
        moderation.report_post(
            session.get(Post, other_topic.first_post_id),
            session.get(User, amina.id),
            "Amina's report",
            0,
        )
        session.commit()
    mine = make_topic(board=fetch(Board, other_topic.board_id), author=amina, title="Mine")
    with database() as session:
        moderation.report_post(
            session.get(Post, mine.first_post_id), session.get(User, kwame.id), "Kwame's report", 0
        )
        session.commit()

    log_in(client, amina)
    data = download(client)
    (offer,) = data["meeting_point"]["posts"]
    assert offer["topic"] == {"id": own, "title": "Training on tontines"}
    assert (offer["kind"], offer["status"], offer["modality"]) == ("offer", "open", "training")
    assert offer["themes"] == ["social-finance"] and offer["countries"] == ["SN"]
    assert offer["sdgs"] == ["8"] and offer["working_languages"] == ["fr"]
    assert offer["interest_received"] == 1
    (interest,) = data["meeting_point"]["interest_expressed"]
    assert interest["topic"]["id"] == theirs
    assert interest["message"] == "We can help with rotating funds"
    body = json.dumps(data, ensure_ascii=False)
    assert "Kwame's private message" not in body
    assert "Kwame's report" not in body and "Kwame's topic" not in body
    assert {post["topic"]["title"] for post in data["posts"]} == {"Training on tontines", "Mine"}


@pytest.mark.parametrize("state", ["pending", "suspended"])
def test_a_pending_or_suspended_member_may_still_download(client, amina, state):
    with database() as session:
        member = session.get(User, amina.id)
        if state == "pending":
            member.approved_at = None
        else:
            member.suspended_until = datetime.now(UTC) + timedelta(days=3)
        session.commit()
    log_in(client, amina)
    assert download(client)["account"]["username"] == "amina"


def test_the_copy_takes_the_same_few_queries_however_many_posts(client, amina, count_queries):
    board = make_board()
    topic = make_topic(board=board, author=amina)
    log_in(client, amina)

    def queries_for_copy() -> int:
        with count_queries() as queries:
            download(client)
        return len(queries)

    few = queries_for_copy()
    with database() as session:
        first, author = session.get(Post, topic.first_post_id), session.get(User, amina.id)
        for n in range(60):
            reply = post_ops.reply(first, author, f"Reply number {n}", "en")
            post_ops.edit_post(reply, author, f"Reply number {n}, edited")
        session.commit()
    assert len(download(client)["posts"]) == 61
    many = queries_for_copy()
    assert many == few and many < 25


# --- deleting: refusals ------------------------------------------------------------------


def test_the_deletion_page_says_what_will_happen(client, amina):
    log_in(client, amina)
    page = client.get("/settings/delete").get_data(as_text=True)
    assert "shown as by a former member" in page and 'name="password"' in page
    use_setting(settings.DeletedAccountPosts.REMOVE)
    page = client.get("/settings/delete").get_data(as_text=True)
    assert "Your posts are removed" in page


def assert_unchanged(member: User) -> None:
    stored = fetch(User, member.id)
    assert (stored.username, stored.email, stored.display_name, stored.deleted_at) == (
        member.username,
        member.email,
        member.display_name,
        None,
    )


def test_a_wrong_password_changes_nothing(client, amina):
    log_in(client, amina)
    response = delete_account(client, password="not my password")
    assert response.status_code == 400
    assert "That is not your current password." in response.get_data(as_text=True)
    assert_unchanged(amina)
    assert client.get("/settings").status_code == 200  # still logged in


def test_without_the_confirmation_nothing_changes(client, amina):
    log_in(client, amina)
    response = delete_account(client, confirm=False)
    assert response.status_code == 400
    assert "Tick the box to confirm." in response.get_data(as_text=True)
    assert_unchanged(amina)


def test_the_last_administrator_may_not_delete_their_account(client, admin):
    # An administrator who is suspended cannot run the site: they do not count.
    other = make_user(username="omar", role=Role.ADMIN)
    with database() as session:
        session.get(User, other.id).suspended_until = datetime.now(UTC) + timedelta(days=1)
        session.commit()
    log_in(client, admin)
    assert "You are the last administrator" in client.get("/settings/delete").get_data(as_text=True)
    response = delete_account(client)
    assert response.status_code == 403
    assert "You are the last administrator" in response.get_data(as_text=True)
    assert_unchanged(admin)


def test_an_administrator_may_leave_when_another_remains(client, admin):
    make_user(username="omar", role=Role.ADMIN)
    log_in(client, admin)
    assert delete_account(client).status_code == 302
    assert fetch(User, admin.id).role == Role.MEMBER


# --- deleting: keeping the posts ------------------------------------------------------------


def test_the_account_is_anonymised_and_the_member_logged_out(client, amina):
    board = make_board()
    with database() as session:
        member = session.get(User, amina.id)
        update_profile(
            member,
            display_name="Amina Diallo",
            country="SN",
            organisation="Réseau",
            spoken_languages=["fr"],
            editions=["agadir-2013"],
            expertise="tontines",
            bio="About me",
        )
        member.locale, member.timezone = "fr", "Africa/Dakar"
        session.get(User, amina.id).moderated_boards = [session.get(Board, board.id)]
        session.commit()
    log_in(client, amina)
    response = delete_account(client)
    assert response.status_code == 302
    assert client.get("/settings").status_code == 302  # logged out
    stored = fetch(User, amina.id)
    assert stored.username == stored.username_key == f"former-member-{amina.id}"
    assert stored.email == f"deleted-{amina.id}@invalid"
    assert stored.display_name == "Former member" and stored.deleted_at is not None
    assert "Amina" not in stored.password_hash and "$" not in stored.password_hash
    for field in (
        "bio",
        "bio_html",
        "organisation",
        "country",
        "spoken_languages_csv",
        "expertise",
        "timezone",
        "locale",
        "read_languages_csv",
    ):
        assert getattr(stored, field) is None, field
    with database() as session:
        member = session.get(User, amina.id)
        assert member.editions == [] and member.moderated_boards == []
        assert not session.scalar(
            select(func.count()).select_from(LoginSession).where(LoginSession.user_id == amina.id)
        )


def test_every_other_session_of_the_member_ends_too(app, client, amina):
    elsewhere = app.test_client()
    log_in(elsewhere, amina)
    assert elsewhere.get("/settings").status_code == 200
    log_in(client, amina)
    delete_account(client)
    assert elsewhere.get("/settings").status_code == 302


def test_a_deleted_account_can_never_log_in_again(app, client, amina):
    with database():
        token = reset_token(fetch(User, amina.id))
    log_in(client, amina)
    delete_account(client)
    for login in ("amina", "amina@example.org", f"former-member-{amina.id}"):
        response = submit(client, "/login", {"login": login, "password": PASSWORD})
        assert response.status_code == 200, login  # the form again, with its message
        assert "Wrong username, email or password." in response.get_data(as_text=True)
    assert client.get(f"/reset/{token}").status_code == 400


def test_the_old_username_and_email_are_free_for_a_new_account(app, client, amina):
    log_in(client, amina)
    delete_account(client)
    newcomer = app.test_client()
    response = submit(
        newcomer,
        "/register",
        {
            "username": "amina",
            "display_name": "Amina Sow",
            "email": "amina@example.org",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    )
    assert response.status_code == 302
    with database() as session:
        assert session.scalar(select(User.display_name).where(User.username == "amina")) == (
            "Amina Sow"
        )


def test_kept_posts_read_as_by_a_former_member(app, client, amina):
    board = make_board()
    topic = make_topic(board=board, author=amina, title="Tontines", body="Our tontine rules")
    reply = make_reply(parent=opening_post(topic), author=amina, body="More about tontines")
    answer = make_reply(parent=reply, author=make_user(username="kwame"), body="Thanks")
    log_in(client, amina)
    assert delete_account(client).status_code == 302
    reader = app.test_client()
    for url in (f"/t/{topic.id}-{topic.slug}", "/b/cooperatives"):
        page = reader.get(url).get_data(as_text=True)
        assert "Former member" in page and "Amina" not in page, url
        assert "/u/amina" not in page and f"/u/former-member-{amina.id}" not in page, url
    assert "Our tontine rules" in reader.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    flat = reader.get(f"/t/{topic.id}-{topic.slug}?view=flat").get_data(as_text=True)
    assert f'id="p{answer.id}"' in flat and "replying to Former member" in flat
    # Search finds the posts, under the new name only.
    assert hits(reader, "tontines") and hits(reader, "tontines", author="amina") == []
    assert sorted(hits(reader, "tontines", author=f"former-member-{amina.id}")) == sorted(
        [topic.first_post_id, reply.id]
    )


def test_a_deleted_account_is_out_of_the_directory_and_its_old_address(app, client, amina):
    make_user(username="kwame", display_name="Kwame Mensah")
    log_in(client, amina)
    delete_account(client)
    reader = app.test_client()
    log_in(reader, make_user(username="zara"))
    directory = reader.get("/members").get_data(as_text=True)
    assert "Kwame Mensah" in directory and "Former member" not in directory
    assert reader.get("/u/amina").status_code == 404
    profile = reader.get(f"/u/former-member-{amina.id}").get_data(as_text=True)
    assert "<h1><bdi>Former member</bdi></h1>" in profile


def test_open_meeting_point_posts_are_withdrawn(client, amina):
    board_id = meeting_board()
    kwame = make_user(username="kwame")
    own = post_cooperation(amina, board_id, "Training on tontines", "We offer it", "offer")
    theirs = post_cooperation(kwame, board_id, "Rotating funds", "We need it", "request")
    express_interest(amina, theirs, "We can help")
    log_in(client, amina)
    delete_account(client)
    with database() as session:
        assert session.get(Cooperation, own).status == Status.WITHDRAWN
        last = session.scalars(
            select(StatusChange).where(StatusChange.topic_id == own).order_by(StatusChange.id)
        ).all()[-1]
        assert (last.old_status, last.new_status) == (Status.OPEN, Status.WITHDRAWN)
        # Interest no one took up cannot be answered any more.
        assert not session.scalars(select(Interest).where(Interest.member_id == amina.id)).all()


# --- deleting: removing the posts ---------------------------------------------------------


def test_removed_posts_leave_placeholders_and_no_text_anywhere(app, client, amina):
    use_setting(settings.DeletedAccountPosts.REMOVE)
    board = make_board()
    kwame = make_user(username="kwame")
    topic = make_topic(board=board, author=kwame, title="Savings groups", body="Tell us more")
    mine = make_reply(parent=opening_post(topic), author=amina, body="Our tontine rules")
    make_reply(parent=mine, author=kwame, body="Interesting cooperative answer")
    with database() as session:
        post_ops.edit_post(
            session.get(Post, mine.id), session.get(User, amina.id), "Our tontine rulebook"
        )
        session.commit()
    reader = app.test_client()
    assert hits(reader, "rulebook") == [mine.id]

    log_in(client, amina)
    assert delete_account(client).status_code == 302
    page = reader.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert "tontine" not in page and "Deleted post" in page
    assert "Interesting cooperative answer" in page  # the replies keep their place
    assert hits(reader, "rulebook") == [] and hits(reader, "tontine") == []
    with database() as session:
        post = session.get(Post, mine.id)
        assert post.deleted_at is not None and (post.body_source, post.body_html) == ("", "")
        assert not session.scalars(
            select(PostRevision).where(PostRevision.post_id == mine.id)
        ).all()
        assert session.get(Topic, topic.id).reply_count == 1


def test_removing_erases_the_opening_post_of_a_members_own_topic(app, client, amina):
    use_setting(settings.DeletedAccountPosts.REMOVE)
    topic = make_topic(board=make_board(), author=amina, title="Tontines", body="Secret rules")
    log_in(client, amina)
    delete_account(client)
    assert "Secret rules" not in app.test_client().get(f"/t/{topic.id}").get_data(as_text=True)
    assert fetch(Post, topic.first_post_id).body_source == ""


# --- the administrators' setting ----------------------------------------------------------


def test_the_setting_round_trips_through_the_admin_settings_page(client, admin):
    log_in(client, admin)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "When a member deletes their account" in page
    assert '<option selected value="keep">' in page
    data = {"registration_mode": "open", "report_threshold": "3"}
    response = submit(client, "/admin/settings", {**data, "deleted_account_posts": "remove"})
    assert response.status_code == 302
    with database():
        assert settings.deleted_account_posts() is settings.DeletedAccountPosts.REMOVE
    assert '<option selected value="remove">' in client.get("/admin/settings").get_data(
        as_text=True
    )
    response = submit(client, "/admin/settings", {**data, "deleted_account_posts": "everything"})
    assert response.status_code == 200
    with database():
        assert settings.deleted_account_posts() is settings.DeletedAccountPosts.REMOVE


# --- pages -----------------------------------------------------------------------------


@pytest.mark.skipif(not VNU.exists(), reason="HTML checker missing")
def test_the_pages_are_valid_html(app, client, amina, admin, tmp_path):
    log_in(client, amina)
    pages = {
        url: client.get(url).get_data(as_text=True) for url in ("/settings", "/settings/delete")
    }
    pages["/settings/delete (refused)"] = delete_account(client, "wrong").get_data(as_text=True)
    other = app.test_client()
    log_in(other, admin)
    pages["/settings/delete (last administrator)"] = other.get("/settings/delete").get_data(
        as_text=True
    )
    pages["/admin/settings"] = other.get("/admin/settings").get_data(as_text=True)
    problems = validate(pages, tmp_path)
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
