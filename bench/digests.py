"""Digest benchmark (issue 11): writing the daily digest of 700 members, each with about ten
notifications in watched topics and boards. Target: at most 30 s on this machine.

On a fresh temporary SQLite database (or ``--database-url``, e.g. a PostgreSQL database that
is emptied first: use a scratch one):

1. data: 700 members (interface languages en/fr/es/pt/ar, time zones of every continent),
   40 topics with 400 replies in English, French and Arabic written through brain.ops.posts
   (rendered as on the site), and ~10 notifications per member (new posts in watched topics,
   new topics in watched boards) written with Core ``insert()`` in the shape the fan-out gives
   them. The task queue is a SQLite file nothing consumes: the mails written are not sent.
2. timed: ``brain.mailing.tasks.send_digests(DAILY)``, the daily periodic task: choosing what
   is due for every member (a few set-based queries), composing each member's digest (text and
   HTML in their language and time zone), writing the mails to ``outgoing_mail``, marking the
   notifications and moving every member's ``covered_until``, one commit.

Run: ``.venv/bin/python bench/digests.py [--members 700] [--per-member 10]``; exit status 1
when the target is missed.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import delete, func, insert, select

TARGET_SECONDS = 30.0
LOCALES = ["en", "fr", "es", "pt", "ar"]
ZONES = ["UTC", "Europe/Paris", "America/Montreal", "America/Sao_Paulo", "Africa/Casablanca",
         "Africa/Johannesburg", "Asia/Manila", "America/Mexico_City"]  # fmt: skip
BODIES = {
    "en": "The **new cooperative law** changed how we register. See https://example.org and "
    "ask @member1 for details.\n\n- fewer steps\n- lower fees\n\n" + "More context. " * 30,
    "fr": "La *nouvelle loi* sur les coopératives simplifie l'enregistrement.\n\n"
    + "Plus de détails ici. " * 30,
    "ar": "القانون الجديد للتعاونيات غيّر طريقة التسجيل.\n\n" + "مزيد من التفاصيل. " * 30,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=700)
    parser.add_argument("--per-member", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="brain-bench-digests-"))
    try:
        return run(folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, args) -> int:
    from brain import create_app
    from brain.extensions import db
    from brain.mailing import tasks
    from brain.models import (
        Board,
        MailFrequency,
        Notification,
        NotificationKind,
        OutgoingMail,
        Post,
        User,
        utcnow,
    )
    from brain.ops import posts
    from brain.ops.accounts import register_member

    app = create_app(
        {
            "DATABASE_URL": args.database_url or f"sqlite:///{folder / 'bench.db'}",
            "SECRET_KEY": "bench",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SEARCH_INDEXER": "off",
            "QUEUE_URL": f"sqlite:///{folder / 'queue.sqlite'}",
            "SITE_URL": "https://forum.example.org",
            "RATELIMIT_ENABLED": False,
        },
        instance_path=str(folder / "instance"),
    )
    rng = random.Random(11)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        with app.test_request_context("/"):
            members = []
            for number in range(args.members):
                user = register_member(f"member{number}", f"member{number}@example.org", "x" * 12)
                user.locale = LOCALES[number % len(LOCALES)]
                user.timezone = ZONES[number % len(ZONES)]
                members.append(user)
            board = Board(slug="cooperatives", name="Cooperatives", position=1)
            db.session.add(board)
            db.session.flush()
            written = utcnow() - timedelta(hours=12)
            post_ids = []
            for number in range(40):
                language = ["en", "fr", "ar"][number % 3]
                topic = posts.start_topic(
                    board, rng.choice(members), f"Topic {number}", BODIES[language], language,
                    when=written,
                )  # fmt: skip
                post_ids.append((topic.first_post_id, topic.id))
                opening = db.session.get(Post, topic.first_post_id)
                for _reply in range(10):
                    reply = posts.reply(
                        opening, rng.choice(members), BODIES[language], language, when=written
                    )
                    post_ids.append((reply.id, topic.id))
            db.session.commit()
        db.session.execute(delete(Notification))  # only the notifications below
        authors = dict(db.session.execute(select(Post.id, Post.author_id)).all())
        rows = []
        for user in db.session.scalars(select(User)):
            for post_id, topic_id in rng.sample(post_ids, args.per_member):
                rows.append(
                    {
                        "user_id": user.id,
                        "kind": rng.choice(
                            [NotificationKind.WATCHED_REPLY, NotificationKind.WATCHED_TOPIC]
                        ),
                        "key": f"post:{post_id}",
                        "actor_id": authors[post_id],
                        "post_id": post_id,
                        "topic_id": topic_id,
                        "detail": "",
                        "created_at": written,
                    }
                )
        db.session.execute(insert(Notification), rows)
        db.session.commit()
        print(f"data: {args.members} members, {len(post_ids)} posts, {len(rows)} notifications "
              f"({time.perf_counter() - started:.1f} s)")  # fmt: skip

        timed = time.perf_counter()
        sent = tasks.send_digests(MailFrequency.DAILY)  # as the worker runs it: no request
        seconds = time.perf_counter() - timed
        mails = db.session.scalar(select(func.count(OutgoingMail.id)))
        size = db.session.scalar(select(func.avg(func.length(OutgoingMail.message))))
        print(f"daily digests written: {sent} ({mails} rows of outgoing_mail, "
              f"{size / 1024:.1f} KB each on average)")  # fmt: skip
        print(f"digest generation for {args.members} members: {seconds:.2f} s "
              f"(target {TARGET_SECONDS:.0f} s, ratio {seconds / TARGET_SECONDS:.2f})")  # fmt: skip
        return 0 if seconds <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
