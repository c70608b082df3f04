"""Moderation: actions on topics and posts, reports, the log. Moderators act on the boards
they are given, administrators everywhere (brain.permissions.why_not_moderate)."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)

from brain.moderation import views  # noqa: E402, F401
