"""Mail about notifications: the unsubscribe page its links open (views), the mails and
digests themselves (compose) and the queue's tasks that send them (tasks)."""

from flask import Blueprint

bp = Blueprint("mailing", __name__)

from brain.mailing import views  # noqa: E402, F401
