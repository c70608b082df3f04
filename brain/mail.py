"""Outgoing email over SMTP (or into instance/mail/ when no server is configured).

Messages are written in the recipient's interface language: callers render the subject and
body inside ``force_locale(user.locale)``. Header values are made one line here, whatever
they hold (a site name saved before the settings form refused line breaks, say): a line break
in a header makes ``email`` refuse the whole message.

``send`` delivers at once; ``send_later`` hands the message to this process's mail thread, so
that the request neither waits for the mail server nor takes longer because it wrote a mail.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import re
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

# What would end a header line or that no header may carry: C0 and C1 controls (tab, line
# feed, return, NEL…), the Unicode line and paragraph separators, lone surrogates.
_NOT_IN_A_HEADER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SPACES = re.compile(r" {2,}")
QUEUE_LIMIT = 1000
EXIT_WAIT = 10.0  # seconds a stopping process gives its mail thread to send what is queued


def one_line(value: str) -> str:
    """*value* as one header line: line breaks and control characters become spaces."""
    return _SPACES.sub(" ", _NOT_IN_A_HEADER.sub(" ", value)).strip()


def build(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = one_line(current_app.config["MAIL_SENDER"])
    message["To"] = one_line(to)
    message["Subject"] = one_line(subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="collective-brain")
    message.set_content(body)  # UTF-8, encoded as needed for any script
    return message


@dataclass(frozen=True)
class _Transport:
    """What delivering needs from the app, taken while there is one (the mail thread has no
    application context)."""

    server: str | None
    port: int
    use_ssl: bool
    use_tls: bool
    username: str | None
    password: str | None
    folder: Path  # where messages go when there is no server
    logger: logging.Logger

    @classmethod
    def of_current_app(cls) -> _Transport:
        config = current_app.config
        return cls(
            server=config["MAIL_SERVER"],
            port=config["MAIL_PORT"],
            use_ssl=config["MAIL_USE_SSL"],
            use_tls=config["MAIL_USE_TLS"],
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            folder=Path(current_app.instance_path) / "mail",
            logger=current_app.logger,
        )

    def deliver(self, message: EmailMessage) -> None:
        """Raises OSError/SMTPException when the server refuses the message."""
        if not self.server:
            self.folder.mkdir(exist_ok=True)
            path = self.folder / f"{time.time_ns()}.eml"
            path.write_bytes(bytes(message))
            self.logger.info("No MAIL_SERVER: mail to %s written to %s", message["To"], path)
            return
        server_class = smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP
        with server_class(self.server, self.port, timeout=10) as server:
            if self.use_tls and not self.use_ssl:
                server.starttls(context=ssl.create_default_context())
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(message)


def send(to: str, subject: str, body: str) -> None:
    """Send one message now. Raises OSError/SMTPException when the server refuses it."""
    _Transport.of_current_app().deliver(build(to, subject, body))


def send_later(to: str, subject: str, body: str, *, purpose: str = "a mail") -> None:
    """Build the message now (so any fault in it shows here) and send it from this process's
    mail thread. A failure is logged with *purpose* ("the password-reset mail to user 7"),
    never shown: the request has been answered by then."""
    _sender.put(build(to, subject, body), _Transport.of_current_app(), purpose)


def wait_until_sent(timeout: float) -> bool:
    """Wait until this process's mail thread has sent (or given up on) everything handed to
    it; False if *timeout* seconds passed first."""
    return _sender.wait_until_idle(timeout)


class _Sender:
    """This process's mail thread and its queue.

    A thread rather than delivering after the response (``call_on_close``): with gunicorn's
    workers a response's close still holds the worker, whose next request would then wait for
    the mail server, which is the same delay in another place. The thread starts with the
    first message in each process (threads do not survive a fork); a message still queued when
    the process stops is given EXIT_WAIT seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pid: int | None = None
        self._queue: queue.Queue = queue.Queue(QUEUE_LIMIT)
        self._pending = 0

    def put(self, message: EmailMessage, transport: _Transport, purpose: str) -> None:
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._pending = os.getpid(), 0
                self._queue = queue.Queue(QUEUE_LIMIT)
                threading.Thread(
                    target=self._run, args=(self._queue,), name="brain-mail", daemon=True
                ).start()
            try:
                self._queue.put_nowait((message, transport, purpose))
            except queue.Full:
                transport.logger.error("Mail queue full: %s was not sent", purpose)
                return
            self._pending += 1

    def _run(self, jobs: queue.Queue) -> None:
        while True:
            message, transport, purpose = jobs.get()
            try:
                transport.deliver(message)
            except Exception:  # the thread must live on; operators read the log
                transport.logger.exception("Could not send %s", purpose)
            finally:
                with self._lock:
                    self._pending -= 1
                    self._idle.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self._lock:
            if self._pid != os.getpid():
                return True
            return self._idle.wait_for(lambda: self._pending <= 0, timeout)


_sender = _Sender()
atexit.register(wait_until_sent, EXIT_WAIT)
