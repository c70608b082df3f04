"""The home page, the language switch and the health check."""

from flask import Blueprint

bp = Blueprint("site", __name__)

from brain.site import views  # noqa: E402, F401
