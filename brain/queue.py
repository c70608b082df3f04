"""The task queue (huey): work that must not run in a request, and must not be lost.

Mail, digests and the fan-out of notifications run here. Tasks are registered on the one
``huey`` object below at import time (``@huey.task()``, ``@huey.periodic_task(...)``); the app
factory chooses its storage from ``BRAIN_QUEUE_URL``:

- unset: a SQLite file in the instance folder (``queue.sqlite``), shared by every process
  of the machine — what ``make run`` uses, with the consumer started beside gunicorn;
- ``redis://…``: Redis, for several servers;
- ``immediate``: tasks run at once in the caller (the test suite, scripts).

The consumer is ``brain worker``. When it is down, enqueued work waits in the storage, and
the rows the work reads (notification events, outgoing mail) wait in the database: a periodic
sweep takes up anything enqueued but lost, so nothing is lost either way.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

QUEUE_FILE = "queue.sqlite"

huey = Huey("brain", storage_class=MemoryStorage)  # its real storage: init_app
_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Point the queue at this app's storage; tasks run in this app's context."""
    global _app
    url = app.config.get("QUEUE_URL") or ""
    if url == "immediate":
        huey.immediate = True
    else:
        huey.immediate = False
        huey.storage = _storage_for(url, app.instance_path)
    _app = app
    app.extensions["brain_queue"] = huey


def _storage_for(url: str, instance_path: str):
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage(huey.name, url=url)
    if url.startswith("sqlite:///"):
        return SqliteStorage(huey.name, filename=url.removeprefix("sqlite:///"))
    if url:
        raise ValueError(f"BRAIN_QUEUE_URL: redis://…, sqlite:///path or immediate, not {url!r}")
    return SqliteStorage(huey.name, filename=str(Path(instance_path) / QUEUE_FILE))


def in_app_context(function: Callable[..., Any]) -> Callable[..., Any]:
    """Run a task in the app's context: the request's own when it runs at once (immediate
    mode), else the app the worker process made."""

    def run(*args, **kwargs):
        if has_app_context():
            return function(*args, **kwargs)
        if _app is None:
            raise RuntimeError("the task queue has no app: create_app() first")
        with _app.app_context():
            return function(*args, **kwargs)

    run.__name__ = function.__name__
    run.__qualname__ = function.__qualname__
    run.__doc__ = function.__doc__
    run.__module__ = function.__module__
    return run


def task(**options):
    """``@queue.task()``: a huey task that runs in the app's context."""
    return lambda function: huey.task(**options)(in_app_context(function))


def periodic_task(schedule, **options):
    """``@queue.periodic_task(crontab(...))``: likewise, on a schedule."""
    return lambda function: huey.periodic_task(schedule, **options)(in_app_context(function))


def run_worker(workers: int = 2, parent: int | None = None) -> None:
    """The consumer: threads taking tasks, and the scheduler of periodic tasks. With
    *parent*, it stops when that process ends (``brain serve`` starts it this way)."""
    from brain import tasks  # noqa: F401 - registers every task

    if parent is not None:
        threading.Thread(target=_stop_when_orphaned, args=(parent,), daemon=True).start()
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


def _stop_when_orphaned(parent: int) -> None:
    stopped = threading.Event()
    while not stopped.wait(2.0):
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGINT)  # huey: finish the running tasks, then stop
            return
