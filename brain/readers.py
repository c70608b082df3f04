"""The member (or guest) a request is for, as the object itself.

``flask_login.current_user`` is a proxy: each attribute read through it finds the user again
(the request context, the login manager, ``g``), and a member's page reads it dozens of times —
its views hand the reader to the permissions and to the owners of the page's facts. Code that
reads the reader more than once takes it here, once. Nothing of the forum is imported: every
layer may ask.
"""

from __future__ import annotations

from flask_login import current_user
from werkzeug.local import LocalProxy


def current_reader():
    """The user object behind ``current_user`` (an anonymous one for guests)."""
    return current_user._get_current_object()


def itself(actor):
    """*actor*, or the user behind it when it is the ``current_user`` proxy."""
    if isinstance(actor, LocalProxy):
        return actor._get_current_object()
    return actor
