"""Administration: boards, members, invitations and site settings (administrators only)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
