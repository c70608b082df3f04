"""Members: profiles, the directory, a member's settings and their own data."""

from flask import Blueprint

bp = Blueprint("members", __name__)

# views: profiles, the directory, settings; data: a member's own data (download, deletion).
from brain.members import data, views  # noqa: E402, F401
