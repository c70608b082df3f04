"""One run at a time of a periodic task, across every server.

Each server's queue consumer starts the periodic tasks on its own schedule (brain.queue), so
with two servers the task that writes the mail due is started twice at the same minute. Both
runs would read the same notifications as due before either marked them mailed, and each would
write its own mail of them: the member got it twice, on PostgreSQL and on SQLite alike (its
driver reads outside any transaction until the first write). Two first digests of the same
members collided on ``digest_runs``' key instead, and one run failed.

So such a task first writes its row of ``task_turns``, as the first statement of its
transaction. The row is locked until that transaction ends: a second run waits for it there,
then reads what the first one committed (on PostgreSQL each statement sees the latest commits;
SQLite's second writer starts its transaction after the first's commit), and finds nothing
left to do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from brain.extensions import db
from brain.models import TaskTurn, utcnow


def take_turn(name: str, now: datetime | None = None) -> None:
    """Hold task *name*'s turn until the current transaction ends. Call it before the task
    reads anything: a read before it would let SQLite's transaction start from a snapshot
    older than the other run's commit."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TaskTurn).values(name=name, started_at=now or utcnow())
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[TaskTurn.name], set_={"started_at": statement.excluded.started_at}
        )
    )
