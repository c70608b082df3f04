"""The clean-up of files, in the task queue: files sent for a post that was never written,
and files on disk that nothing accounts for, go a day on (``brain.ops.uploads.prune``).
``brain uploads prune`` does the same by hand."""

from __future__ import annotations

from flask import current_app
from huey import crontab

from brain import queue
from brain.ops import uploads as upload_ops


@queue.periodic_task(crontab(minute="23"))
def prune_uploads() -> upload_ops.Pruned:
    """Hourly: a file is kept at most a day and an hour after its composer was left."""
    with current_app.app_context():  # a session of its own
        pruned = upload_ops.prune()
    if pruned.waiting or pruned.strays:
        current_app.logger.info(
            "Uploads pruned: %d never posted, %d stray files", pruned.waiting, pruned.strays
        )
    return pruned
