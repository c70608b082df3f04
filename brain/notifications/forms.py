from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from brain.models.notifications import WatchLevel


def _choices(board: bool) -> list[SelectChoice]:
    if board:
        watching = _("Watching: tell me about every new topic")
        muted = _("Muted: never, and hide its topics from my recent activity")
    else:
        watching = _("Watching: tell me about every new post")
        muted = _("Muted: never, and hide it from my recent activity")
    normal = _("Normal: only when someone answers, quotes or mentions me")
    return [
        SelectChoice(WatchLevel.WATCHING.value, watching),
        SelectChoice(WatchLevel.NORMAL.value, normal),
        SelectChoice(WatchLevel.MUTED.value, muted),
    ]


class WatchForm(FlaskForm):
    """A member's watching choice for one topic (or, ``for_board``, one board)."""

    level = RadioField(_l("Notifications"), choices=[], validators=[InputRequired()])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, board: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = _choices(board)

    @classmethod
    def for_board(cls, **kwargs) -> WatchForm:
        return cls(board=True, **kwargs)
