"""The session cookie checked once per process (brain.cookies): what Flask refuses is still
refused, and each request has its own session."""

from __future__ import annotations

from datetime import timedelta

from brain import cookies
from tests.factories import log_in, make_user


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _open(app, text: str):
    with app.test_request_context("/", headers={"Cookie": f"session={text}"}):
        from flask import request

        return app.session_interface.open_session(app, request)


def test_a_member_stays_logged_in_across_pages(app, client):
    member = make_user(username="amina")
    log_in(client, member)
    for _ in range(3):
        assert "amina" in client.get("/settings").get_data(as_text=True)


def test_a_cookie_whose_signature_is_wrong_opens_an_empty_session(app, client):
    member = make_user(username="amina")
    log_in(client, member)
    good = _cookie(client)
    assert _open(app, good).get("_user_id")  # checked, and remembered
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert dict(_open(app, forged)) == {}
    assert _open(app, good).get("_user_id")


def test_a_remembered_cookie_is_refused_once_older_than_the_session_lifetime(
    app, client, monkeypatch
):
    member = make_user(username="amina")
    log_in(client, member)
    text = _cookie(client)
    assert _open(app, text).get("_user_id")
    lifetime = app.permanent_session_lifetime
    later = cookies.time.time() + lifetime.total_seconds() + 5
    monkeypatch.setattr(cookies.time, "time", lambda: later)
    assert dict(_open(app, text)) == {}


def test_a_new_secret_key_checks_the_cookie_again(app, client, monkeypatch):
    member = make_user(username="amina")
    log_in(client, member)
    text = _cookie(client)
    assert _open(app, text).get("_user_id")
    monkeypatch.setitem(app.config, "SECRET_KEY", "another key")
    monkeypatch.setattr(app, "permanent_session_lifetime", timedelta(days=31))
    assert dict(_open(app, text)) == {}


def test_each_request_has_its_own_copy_of_the_contents(app, client):
    member = make_user(username="amina")
    log_in(client, member)
    text = _cookie(client)
    flashes = list(_open(app, text).get("_flashes", []))
    first = _open(app, text)
    first.setdefault("_flashes", []).append(("info", "only for the first"))
    first["_user_id"] = "someone else"
    second = _open(app, text)
    assert second.get("_flashes", []) == flashes
    assert second["_user_id"] != "someone else"
