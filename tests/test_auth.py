"""Registration, login, logout and sessions."""

from __future__ import annotations

from sqlalchemy import select

from brain.models import User
from tests.factories import PASSWORD, csrf_token, database, log_in, make_user, submit


def register(client, **fields):
    data = {
        "username": "kwame",
        "display_name": "Kwame Mensah",
        "email": "kwame@example.org",
        "password": "a long enough password",
        "confirm": "a long enough password",
        **fields,
    }
    return submit(client, "/register", data)


def test_register_creates_a_member_and_logs_them_in(client):
    response = register(client)
    assert response.status_code == 302
    with database() as session:
        user = session.scalar(select(User).where(User.username == "kwame"))
        assert user.display_name == "Kwame Mensah"
    assert "Kwame Mensah" in client.get("/").get_data(as_text=True)


def test_passwords_are_stored_hashed_with_scrypt_by_default(session_app):
    from brain.config import Defaults

    assert Defaults.PASSWORD_HASH_METHOD == "scrypt"
    with session_app.test_request_context("/"):
        session_app.config["PASSWORD_HASH_METHOD"] = Defaults.PASSWORD_HASH_METHOD
        try:
            from brain.ops.accounts import hash_password

            hashed = hash_password("secret words")
        finally:
            session_app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    assert hashed.startswith("scrypt:") and "secret words" not in hashed


def test_register_refuses_a_taken_username_whatever_the_case(client):
    make_user(username="kwame")
    response = register(client, username="KWAME", email="other@example.org")
    assert response.status_code == 200
    assert "That username is taken. Please choose another one." in response.get_data(as_text=True)


def test_register_validates_every_field(client):
    response = register(client, username="a", email="not-an-address", confirm="different")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Use 3 to 32 letters" in page
    assert "Enter a valid email address." in page
    assert "The two passwords do not match." in page


def test_register_refuses_bad_usernames(client):
    for name in ("a", "white space", "<script>", "x" * 40, "trailing.", "emoji😀"):
        response = register(client, username=name, email=f"{len(name)}@example.org")
        assert response.status_code == 200, name
        with database() as session:
            email = f"{len(name)}@example.org"
            assert session.scalar(select(User).where(User.email == email)) is None


def test_unicode_usernames_are_allowed(client):
    response = register(client, username="فاطمة", email="f@example.org")
    assert response.status_code == 302
    assert client.get("/u/فاطمة").status_code == 200


def test_login_with_username_or_email(client):
    user = make_user(username="amina")
    assert log_in(client, user).status_code == 302
    submit(client, "/logout")
    response = submit(client, "/login", {"login": "AMINA@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_failed_login_says_the_same_for_unknown_and_known_accounts(client):
    make_user(username="amina")
    wrong_password = submit(client, "/login", {"login": "amina", "password": "nope nope nope"})
    unknown = submit(client, "/login", {"login": "nobody", "password": "nope nope nope"})
    assert wrong_password.status_code == unknown.status_code == 200
    message = "Wrong username, email or password."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_login_renews_the_session(client):
    user = make_user(username="amina")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    log_in(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{user.id}:")


def test_login_redirects_only_to_local_addresses(client):
    user = make_user(username="amina")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        response = submit(
            client,
            f"/login?next={target}",
            {"login": user.username, "password": PASSWORD},
        )
        assert response.headers["Location"] == "/", target
        submit(client, "/logout")
    response = submit(client, "/login?next=/b/x", {"login": "amina", "password": PASSWORD})
    assert response.headers["Location"] == "/b/x"


def test_logout_needs_a_post(client):
    user = make_user(username="amina")
    log_in(client, user)
    assert client.get("/logout").status_code == 200  # a confirmation form, nothing changes
    assert "amina" in client.get("/u/amina").get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" in session
    assert submit(client, "/logout").status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_bumping_the_session_epoch_ends_open_sessions(client):
    user = make_user(username="amina")
    log_in(client, user)
    with database() as session:
        session.get(User, user.id).session_epoch += 1
        session.commit()
    response = client.get("/b/any/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_form_without_csrf_token_is_rejected(client):
    make_user(username="amina")
    csrf_token(client)  # a session exists, but the token is not sent
    response = client.post("/login", data={"login": "amina", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
