"""Outgoing mail, through a real SMTP server: headers stay one line whatever the settings hold,
a mail that cannot be sent is kept and retried, and a password reset answers without waiting
for the mail (nor telling by its delay whether an account uses the address)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import http.cookiejar
import socket
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from werkzeug.serving import make_server

from brain import mail, queue
from brain.models import OutgoingMail, SiteSetting
from tests.factories import CSRF_FIELD, database, make_user, submit


class Inbox:
    """An SMTP handler that keeps what it receives; with *hold*, it waits for release before
    accepting each message (a slow mail server)."""

    def __init__(self, hold: bool = False):
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Event()
        self.reached = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    async def handle_DATA(self, server, session, envelope):
        self.reached.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        self.arrived.set()
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def smtp_server(app, handler: Inbox):
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    return controller


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = smtp_server(app, handler)
    yield handler
    assert mail.wait_until_sent(10)
    controller.stop()


@pytest.fixture
def slow_inbox(app):
    handler = Inbox(hold=True)
    controller = smtp_server(app, handler)
    yield handler
    handler.release.set()
    assert mail.wait_until_sent(10)
    controller.stop()


def test_a_site_name_with_a_line_break_still_gives_a_one_line_subject(client, inbox):
    # Saved before the settings form refused line breaks, or written straight into the
    # database: every reset for an existing address used to fail (and so told that it exists).
    make_user(username="amina")
    with database() as session:
        session.add(
            SiteSetting(key="site_name.en", value="Collective\nBrain\r\nBcc: x@example.org")
        )
        session.commit()
    assert submit(client, "/reset", {"email": "nobody@example.org"}).status_code == 302
    assert submit(client, "/reset", {"email": "amina@example.org"}).status_code == 302
    assert inbox.arrived.wait(5)
    message = inbox.messages[0]
    assert message["Subject"] == "Choose a new password for Collective Brain Bcc: x@example.org"
    assert message["Bcc"] is None and message["To"] == "amina@example.org"


def test_header_values_lose_line_breaks_and_control_characters():
    assert mail.one_line("a\nb\r\nc\u2028d\u2029e\x85f\tg\x00h\x0bi") == "a b c d e f g h i"
    assert mail.one_line("  Collective   Brain \n") == "Collective Brain"


def test_a_mail_that_cannot_be_sent_is_kept_logged_and_the_reset_looks_the_same(
    client, app, caplog
):
    user = make_user(username="amina")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nothing listens
    response = submit(client, "/reset", {"email": "amina@example.org"}, follow_redirects=True)
    assert response.status_code == 200
    assert "If an account uses that address" in response.get_data(as_text=True)
    assert mail.wait_until_sent(15)
    assert f"(reset, to user {user.id}), attempt 1: ConnectionRefusedError" in caplog.text
    with database() as session:
        kept = session.scalars(select(OutgoingMail).where(OutgoingMail.user_id == user.id)).one()
    assert kept.sent_at is None and kept.gave_up_at is None and kept.attempts == 1
    assert "amina@example.org" in kept.message  # the whole message waits for the retry


@contextmanager
def queue_worker():
    """The task queue as in production: enqueued tasks wait in its storage (memory here) and
    a worker thread of this process takes them, instead of running in the request."""
    queue.huey.immediate = False  # a fresh MemoryStorage
    stop = threading.Event()

    def work():
        while not stop.is_set():
            task = queue.huey.dequeue()
            if task is None:
                time.sleep(0.02)
            else:
                queue.huey.execute(task)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(5)
        queue.huey.immediate = True


@pytest.mark.commits
def test_the_reset_answer_does_not_wait_for_the_mail_server(app, slow_inbox):
    make_user(username="amina")
    with queue_worker():
        _ask_for_a_reset_while_the_mail_server_holds_it(app, slow_inbox)


def _ask_for_a_reset_while_the_mail_server_holds_it(app, slow_inbox):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    serving.start()
    base = f"http://127.0.0.1:{server.server_port}"
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    try:
        form = browser.open(f"{base}/reset", timeout=5).read().decode()
        token = next(group for group in CSRF_FIELD.search(form).groups() if group)
        data = urllib.parse.urlencode({"csrf_token": token, "email": "amina@example.org"})
        # Answered (and its redirect followed) while the mail server still holds the mail.
        with browser.open(f"{base}/reset", data=data.encode(), timeout=5) as answer:
            assert answer.status == 200 and answer.url == f"{base}/login"
            assert "If an account uses that address" in answer.read().decode()
        assert slow_inbox.reached.wait(5) and slow_inbox.messages == []
        slow_inbox.release.set()
        assert slow_inbox.arrived.wait(5)
        assert slow_inbox.messages[0]["To"] == "amina@example.org"
    finally:
        slow_inbox.release.set()
        server.shutdown()
        server.server_close()
        serving.join(5)
