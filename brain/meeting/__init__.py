"""The Meeting Point: offers, requests and experiences of South-South and triangular
cooperation, on the board whose slug is MEETING_POINT_BOARD. Each is a topic (discussed like
any other) with structured details beside it (brain.models.cooperation)."""

from flask import Blueprint

bp = Blueprint("meeting", __name__, url_prefix="/meeting-point")

from brain.meeting import views  # noqa: E402, F401
