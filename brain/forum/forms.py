from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField

from brain.forms import Form, body_field, language_field, submission_field, title_field


class _Composer(Form):
    preview = SubmitField(_l("Preview"))


class TopicForm(_Composer):
    submission = submission_field()
    title = title_field()
    language = language_field()
    body = body_field()
    submit = SubmitField(_l("Start the topic"))


class ReplyForm(_Composer):
    submission = submission_field()
    language = language_field()
    body = body_field()
    submit = SubmitField(_l("Post the reply"))


class EditForm(_Composer):
    # The version of the post the form was filled from (Post.version): saving over a newer
    # one is refused with the member's text kept.
    version = HiddenField()
    language = language_field()
    body = body_field()
    submit = SubmitField(_l("Save the changes"))


class EditOpeningForm(EditForm):
    title = title_field()
