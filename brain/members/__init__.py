"""Members: profiles, the directory, a member's settings and their own data."""

from flask import Blueprint

bp = Blueprint("members", __name__)

from brain.members import views  # noqa: E402, F401
