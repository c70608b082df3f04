"""Boards, topics and posts: reading and writing the conversation."""

from flask import Blueprint

bp = Blueprint("forum", __name__)

from brain.forum import views  # noqa: E402, F401
