from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField

from brain.forms import Form


class UploadForm(Form):
    """Files sent by the composer's script (drag and drop) before the post is written."""

    files = MultipleFileField(_l("Attach images or PDFs"))


class AvatarForm(Form):
    avatar = FileField(_l("Your picture"))
