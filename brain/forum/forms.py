from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField

from brain.forms import body_field, language_field, title_field


class _Composer(FlaskForm):
    preview = SubmitField(_l("Preview"))


class TopicForm(_Composer):
    title = title_field()
    language = language_field()
    body = body_field()
    submit = SubmitField(_l("Start the topic"))


class ReplyForm(_Composer):
    language = language_field()
    body = body_field()
    submit = SubmitField(_l("Post the reply"))


class EditForm(_Composer):
    language = language_field()
    body = body_field()
    submit = SubmitField(_l("Save the changes"))


class EditOpeningForm(EditForm):
    title = title_field()
