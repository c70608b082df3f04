"""The fan-out of notification events, in the task queue.

A commit that recorded an event enqueues ``fan_out_pending`` (brain.commits runs it after the
commit); the task takes every event not yet fanned out, one transaction each. A periodic task
runs the same thing, so an event whose enqueue was lost (the process died after the commit, the
queue was unreachable) is fanned out a minute later: at least once, and no notification twice
thanks to the unique (user_id, key).

The fan-out runs in an application context of its own, so its session is its own: in the
worker it is the only one, and when tasks run at once (``QUEUE_URL=immediate``) the request's
session, which has just committed, is left alone."""

from __future__ import annotations

from flask import current_app
from huey import crontab
from sqlalchemy.orm import Session

from brain import commits, queue
from brain.extensions import db
from brain.meeting.matching import suggestions_for
from brain.models import Cooperation, Post
from brain.models.notifications import NotificationEvent
from brain.ops import notifications

# A new open offer notifies the authors of the open requests it answers at least this well
# (brain.meeting.matching's score: a shared theme weighs 3, the same form of cooperation or a
# shared country 2, a shared region 1, a shared working language 1.5).
MATCH_THRESHOLD = 5.0
MATCH_LIMIT = 50  # the best-scored requests considered for one offer
BATCH = 200  # events per task run; the next run (or the sweep) takes the rest


def matching_requesters(post: Post) -> list[int]:
    """Authors of the open requests that *post*'s offer answers above the threshold."""
    cooperation = db.session.get(Cooperation, post.topic_id)
    if cooperation is None:
        return []
    return [
        suggestion.cooperation.topic.author_id
        for suggestion in suggestions_for(cooperation, limit=MATCH_LIMIT)
        if suggestion.score >= MATCH_THRESHOLD
    ]


def run_pending(limit: int = BATCH) -> int:
    """Fan out up to *limit* pending events, one transaction each; returns how many went
    through. An event whose fan-out fails is rolled back, counted and passed over for this
    run, so it never holds up the events behind it; after a few failures it is left alone
    (``brain doctor`` reports events left waiting)."""
    done = tried = last = 0
    with current_app.app_context():  # a session of our own (see the module's docstring)
        while tried < limit:
            event = notifications.next_pending(after=last)
            if event is None:
                break
            tried, last = tried + 1, event.id
            try:
                notifications.fan_out(event, matching_requesters)
                db.session.commit()
                done += 1
            except Exception as error:
                db.session.rollback()
                current_app.logger.exception("Fan-out of notification event %s failed", last)
                notifications.fan_out_failed(last, error)
                db.session.commit()
    return done


@queue.task(retries=3, retry_delay=10)
def fan_out_pending() -> int:
    return run_pending()


@queue.periodic_task(crontab(minute="*"))
def sweep_pending() -> int:
    """Events whose enqueue was lost: taken up within a minute."""
    return run_pending()


def _recorded_events(session: Session) -> bool:
    return any(isinstance(obj, NotificationEvent) for obj in session.new)


def _enqueue() -> None:
    fan_out_pending()


def listen() -> None:
    """After each commit that recorded an event, enqueue its fan-out."""
    commits.after_commits_that("notification_events", _recorded_events, _enqueue)
