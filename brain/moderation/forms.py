from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from brain.forms import Form, no_forbidden_characters, title_field

REASON_MAX = 500


def reason_field(required: bool) -> TextAreaField:
    checks = [Length(max=REASON_MAX), no_forbidden_characters]
    checks.insert(0, DataRequired(_l("This field is required.")) if required else Optional())
    return TextAreaField(
        _l("Reason"),
        validators=checks,
        description=_l(
            "Recorded in the moderation log; shown to the author when a post is hidden."
        ),
    )


class ReasonForm(Form):
    reason = reason_field(required=False)


class RequiredReasonForm(Form):
    reason = reason_field(required=True)


class MoveForm(Form):
    board = SelectField(_l("Move to the board"), coerce=str)
    reason = reason_field(required=False)


class SplitForm(Form):
    title = title_field()
    reason = reason_field(required=False)


class MergeForm(Form):
    target = IntegerField(
        _l("Number of the topic to merge into"),
        validators=[
            DataRequired(_l("This field is required.")),
            NumberRange(min=1, max=2**31 - 1, message=_l("Enter a topic number.")),
        ],
        description=_l("The number in the topic's address: /t/123-… is topic 123."),
    )
    reason = reason_field(required=False)


class ReportForm(Form):
    reason = TextAreaField(
        _l("What is wrong with this post?"),
        validators=[
            DataRequired(_l("This field is required.")),
            Length(max=REASON_MAX),
            no_forbidden_characters,
        ],
    )


class ResolveForm(Form):
    # Nothing is chosen beforehand: a hurried "Resolve" must neither hide a post that was
    # fine nor put back one that members' reports hid (keeping a post restores it).
    resolution = SelectField(
        _l("Decision"),
        choices=lambda: [
            SelectChoice("", str(_l("Choose…"))),
            SelectChoice("dismiss", str(_l("Keep the post"))),
            SelectChoice("hide", str(_l("Hide the post"))),
        ],
        validators=[DataRequired(_l("Choose how to resolve the report."))],
    )
    reason = reason_field(required=False)
