"""Files: serving the files attached to posts and members' avatars, and receiving them
(the composer's script, the avatar form). Checking and storing is brain.ops.uploads."""

from flask import Blueprint

bp = Blueprint("uploads", __name__)

from brain.uploads import views  # noqa: E402, F401
