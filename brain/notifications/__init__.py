"""Notifications in the site: the bell and its count, /notifications, and the watching choice
on topic and board pages. The fan-out that writes them runs in the task queue (tasks.py)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from brain.notifications import views  # noqa: E402, F401
