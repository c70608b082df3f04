"""The queue's mail tasks: immediate mail every minute, the daily and weekly digests.

Each run chooses what is due in a few queries (brain.ops.mailing), writes the mails as rows of
``outgoing_mail`` and marks what they cover, in one transaction: a crash before its commit
leaves everything due for the next run, after it everything is in the mail queue (brain.mail),
which delivers and retries. Nothing is both mailed and lost, nor mailed twice: a run on
another server at the same minute waits for this one's turn (brain.ops.turns).
"""

from __future__ import annotations

from datetime import datetime

from huey import crontab

from brain import queue
from brain.extensions import db
from brain.mailing import compose
from brain.models import MailFrequency, utcnow
from brain.ops import mailing, turns

# Digests go out early in the morning in Europe and Africa, in the evening in the Americas.
DIGEST_HOUR = 6


def send_immediate_mail(now: datetime | None = None) -> int:
    """Mail every member the notifications whose delay has passed; how many mails."""
    now = now or utcnow()
    turns.take_turn("immediate-mail", now)
    due = mailing.due_immediate_mail(now)
    for mail_for in due:
        compose.queue_notification_mail(mail_for)
        mailing.mark_mailed(mail_for.notifications, now)
    db.session.commit()
    return len(due)


def send_digests(frequency: MailFrequency, now: datetime | None = None) -> int:
    """Write every member's digest of this frequency that has something; how many mails."""
    now = now or utcnow()
    turns.take_turn(f"{frequency.value}-digests", now)
    due = mailing.due_digests(frequency, now)
    for mail_for in due:
        compose.queue_digest(mail_for)
    db.session.commit()
    return len(due)


@queue.periodic_task(crontab(minute="*"))
def immediate_mail() -> None:
    send_immediate_mail()


@queue.periodic_task(crontab(minute="0", hour=str(DIGEST_HOUR)))
def daily_digests() -> None:
    send_digests(MailFrequency.DAILY)


@queue.periodic_task(crontab(minute="30", hour=str(DIGEST_HOUR), day_of_week="1"))
def weekly_digests() -> None:
    send_digests(MailFrequency.WEEKLY)
