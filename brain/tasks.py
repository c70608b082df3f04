"""Every module that defines queue tasks, imported by the worker (``brain worker``) so that its
consumer knows them all; web processes import each where they enqueue its tasks."""

from brain import mail  # noqa: F401 - delivery of the outgoing mail, and its sweep
from brain.mailing import tasks as mailing_tasks  # noqa: F401 - immediate mail, digests
from brain.notifications import tasks as notification_tasks  # noqa: F401 - notification fan-out
from brain.uploads import tasks as upload_tasks  # noqa: F401 - files never posted
