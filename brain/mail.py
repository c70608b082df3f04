"""Outgoing email: every message is first a row of ``outgoing_mail``, then a delivery.

``queue_mail`` writes the whole message as a row in the caller's transaction (a password
reset, a notification, a digest), so a mail exists exactly when what caused it was committed.
After that commit, the ids are handed to the task queue (``deliver_mail``); a periodic sweep
(``send_due_mail``, every minute) delivers anything due that a lost enqueue or a stopped worker
left behind. A delivery that fails (the SMTP server down, refusing, timing out) is tried again
after ``RETRY_DELAYS`` and given up after the last one, with the error kept for the
administrators' page (/admin/mail), whose "retry now" makes it due again.

Each delivery first *claims* its row with one conditional UPDATE (due, unsent, not given up)
that also pushes ``next_attempt_at`` a lease ahead: of two workers, or a worker and the sweep,
only one sends, and a worker that dies mid-delivery leaves a row that is due again once the
lease ends. No database transaction is held while the SMTP server answers.

With no MAIL_SERVER (``make run``), messages are written to instance/mail/*.eml instead.

Messages are written in the recipient's interface language: callers render the subject and
body inside ``force_locale``. Header values are made one line here, whatever they hold (a site
name saved before the settings form refused line breaks, say): a line break in a header makes
``email`` refuse the whole message.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, has_app_context, has_request_context
from huey import crontab
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from brain import queue
from brain.extensions import db
from brain.models import OutgoingMail, utcnow

# What would end a header line or that no header may carry: C0 and C1 controls (tab, line
# feed, return, NEL…), the Unicode line and paragraph separators, lone surrogates.
_NOT_IN_A_HEADER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SPACES = re.compile(r" {2,}")

# After the n-th failed attempt the next one waits RETRY_DELAYS[n-1]; after the last, the mail
# is given up (``gave_up_at``), about two and a half days after it was written.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How long a claimed row stays with the worker that claimed it: far longer than an SMTP
# exchange may take (its timeout is SMTP_TIMEOUT), so no one else sends it meanwhile.
LEASE = timedelta(minutes=10)
SMTP_TIMEOUT = 20
SWEEP_BATCH = 200  # rows the periodic sweep delivers per run, oldest due first
_ENQUEUED = "brain_outgoing_mail"  # session.info key: ids written in this transaction
# The site's address when BRAIN_SITE_URL is not set and no request tells it: `make run`'s.
LOCAL_SITE_URL = "http://127.0.0.1:5000"


def one_line(value: str) -> str:
    """*value* as one header line: line breaks and control characters become spaces."""
    return _SPACES.sub(" ", _NOT_IN_A_HEADER.sub(" ", value)).strip()


@contextmanager
def public_links() -> Iterator[None]:
    """Within the block, ``url_for(..., _external=True)`` gives addresses on the site's
    public address (BRAIN_SITE_URL): mail is read far from the request that caused it, is
    often built where there is no request (the queue's worker), and must not take its links
    from a request's Host header, which the sender chooses. Without BRAIN_SITE_URL, the
    request's own address, else ``make run``'s."""
    base = current_app.config.get("SITE_URL")
    if not base and has_request_context():
        yield
        return
    with current_app.test_request_context("/", base_url=base or LOCAL_SITE_URL):
        yield


def build(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """One message: plain text, or text and HTML as alternatives; *headers* added as given
    (each made one line)."""
    message = EmailMessage()
    message["From"] = one_line(current_app.config["MAIL_SENDER"])
    message["To"] = one_line(to)
    message["Subject"] = one_line(subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="collective-brain")
    for name, value in (headers or {}).items():
        message[name] = one_line(value)
    message.set_content(text)  # UTF-8, encoded as needed for any script
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def queue_mail(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    kind: str,
    user_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> OutgoingMail:
    """Write a message to send as a row of the current transaction; it is handed to the
    queue when the transaction commits (and never sent if it rolls back)."""
    message = build(to, subject, text, html, headers)
    row = OutgoingMail(
        user_id=user_id,
        kind=kind,
        recipient=one_line(to),
        message=message.as_string(policy=email.policy.SMTP),
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    return row


def retry_now(row: OutgoingMail, now: datetime | None = None) -> None:
    """Make a failing or given-up mail due at once (administrators' "retry now"); it is
    sent after the commit. Its count of attempts goes on, so a new failure retries soon."""
    if row.sent_at is not None:
        return
    row.gave_up_at = None
    row.next_attempt_at = now or utcnow()
    db.session.info.setdefault(_ENQUEUED, set()).add(row.id)


# --- delivery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Transport:
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
        """Raises OSError/SMTPException when the server cannot be reached or refuses."""
        if not self.server:
            self.folder.mkdir(exist_ok=True)
            path = self.folder / f"{time.time_ns()}.eml"
            path.write_bytes(bytes(message))
            self.logger.info("No MAIL_SERVER: mail to %s written to %s", message["To"], path)
            return
        server_class = smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP
        with server_class(self.server, self.port, timeout=SMTP_TIMEOUT) as server:
            if self.use_tls and not self.use_ssl:
                server.starttls(context=ssl.create_default_context())
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(message)


def parse(row: OutgoingMail) -> EmailMessage:
    """The message a row holds, as it will be sent."""
    return email.message_from_string(row.message, policy=email.policy.default)


def deliver(mail_id: int, now: datetime | None = None) -> bool:
    """Send one mail if it is due and no one else is sending it; True if it went out.

    Works in sessions of its own: it runs after the commit that wrote the mail (also from
    inside that commit's hook when the queue runs tasks at once), and holds no transaction
    while the SMTP server answers."""
    now = now or utcnow()
    with Session(db.engine) as session:
        claimed = session.execute(
            update(OutgoingMail)
            .where(
                OutgoingMail.id == mail_id,
                OutgoingMail.sent_at.is_(None),
                OutgoingMail.gave_up_at.is_(None),
                OutgoingMail.next_attempt_at <= now,
            )
            .values(attempts=OutgoingMail.attempts + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if claimed != 1:
            return False
        row = session.get(OutgoingMail, mail_id)
        session.commit()  # the row's values are loaded; no transaction during the delivery
        transport = _Transport.of_current_app()
        try:
            transport.deliver(parse(row))
        except (OSError, smtplib.SMTPException) as error:
            _record_failure(session, row, error, now, transport.logger)
            return False
        row.sent_at, row.last_error = utcnow(), ""
        session.commit()
        return True


def _record_failure(session, row, error, now, logger) -> None:
    row.last_error = one_line(f"{type(error).__name__}: {error}")[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.gave_up_at = now
        outcome = "given up"
    else:
        row.next_attempt_at = now + RETRY_DELAYS[row.attempts - 1]
        outcome = f"next attempt at {row.next_attempt_at:%Y-%m-%d %H:%M} UTC"
    session.commit()
    logger.warning(
        "Could not send mail %d (%s, to user %s), attempt %d: %s; %s",
        row.id,
        row.kind,
        row.user_id,
        row.attempts,
        row.last_error,
        outcome,
    )


def due_mail_ids(now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    return list(
        db.session.scalars(
            select(OutgoingMail.id)
            .where(
                OutgoingMail.sent_at.is_(None),
                OutgoingMail.gave_up_at.is_(None),
                OutgoingMail.next_attempt_at <= (now or utcnow()),
            )
            .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
            .limit(limit)
        )
    )


def send_due(now: datetime | None = None) -> int:
    """Deliver every mail that is due (first attempts and retries); how many went out."""
    ids = due_mail_ids(now)
    db.session.rollback()  # end the read: deliveries work in their own sessions
    return sum(deliver(mail_id, now) for mail_id in ids)


# --- the queue ----------------------------------------------------------------------------


@queue.task()
def deliver_mail(ids: list[int]) -> None:
    """Send the mails written by a transaction that has just committed."""
    try:
        for mail_id in ids:
            deliver(mail_id)
    finally:
        _in_flight.done(ids)


@queue.periodic_task(crontab(minute="*"))
def send_due_mail() -> None:
    """Retries, and anything an enqueue lost or a stopped worker left behind."""
    send_due()


class _InFlight:
    """Mails this process handed to the queue and has not yet seen delivered or put off:
    what ``wait_until_sent`` waits for (tests and scripts, whose worker is in-process)."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._changed = threading.Condition()

    def add(self, ids: Iterable[int]) -> None:
        with self._changed:
            self._ids.update(ids)

    def done(self, ids: Iterable[int]) -> None:
        with self._changed:
            self._ids.difference_update(ids)
            self._changed.notify_all()

    def wait(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: not self._ids, timeout)


_in_flight = _InFlight()


def wait_until_sent(timeout: float) -> bool:
    """Wait until every mail this process enqueued has been delivered or put off (when the
    queue's worker runs in this process); False if *timeout* seconds passed first."""
    return _in_flight.wait(timeout)


def _collect(session: Session, _context) -> None:
    written = [row.id for row in session.new if isinstance(row, OutgoingMail)]
    if written:
        session.info.setdefault(_ENQUEUED, set()).update(written)


def _enqueue_after_commit(session: Session) -> None:
    ids = sorted(session.info.pop(_ENQUEUED, ()))
    if not ids or not has_app_context():
        return
    _in_flight.add(ids)
    try:
        deliver_mail(ids)
    except Exception:
        # The mail is committed: the periodic sweep sends it. The request must not fail.
        _in_flight.done(ids)
        current_app.logger.warning("Could not enqueue mail %s", ids, exc_info=True)


def _forget(session: Session, _previous=None) -> None:
    session.info.pop(_ENQUEUED, None)


def listen() -> None:
    """Hand the mails of each transaction to the queue after its commit (once per process)."""
    if not event.contains(Session, "after_commit", _enqueue_after_commit):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _enqueue_after_commit)
        event.listen(Session, "after_soft_rollback", _forget)
