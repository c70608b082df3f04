from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, SelectMultipleField, SubmitField

from brain.forms import Form, body_field, language_field, submission_field, title_field


class _Composer(Form):
    preview = SubmitField(_l("Preview"))
    # Images and PDFs (brain.ops.uploads finds what they are), and the keys of the files
    # already sent with a preview, carried on to the post.
    files = MultipleFileField(_l("Attach images or PDFs"))
    attached = HiddenField()


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
    # Keys of the post's files to remove (checkboxes drawn by forum/_attach_field.html).
    detach = SelectMultipleField(choices=[], validate_choice=False)
    language = language_field()
    body = body_field()
    submit = SubmitField(_l("Save the changes"))


class EditOpeningForm(EditForm):
    title = title_field()
