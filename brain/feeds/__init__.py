"""Atom feeds of what guests may read: the latest topics, a board, a topic, the Meeting Point
(with its filters) and a member's posts; and the links to them in every page's head."""

from flask import Blueprint

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

from brain.feeds import views  # noqa: E402, F401
