from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from brain import i18n
from brain.forms import CheckboxesField, Form, SubForm, no_forbidden_characters, not_blank
from brain.models import Role
from brain.ops.admin import DESCRIPTION_MAX, NAME_MAX, SLUG_MAX
from brain.ops.moderation import MAX_REASON
from brain.settings import DeletedAccountPosts, RegistrationMode, deleted_account_posts

REQUIRED = _l("This field is required.")
SITE_NAME_MAX = 120
SITE_DESCRIPTION_MAX = 500
INVITATION_DAYS_MAX = 365
REPORT_THRESHOLD_MAX = 100


def interface_language_choices() -> list[SelectChoice]:
    return [
        SelectChoice(lang.code, lang.name, render_kw={"lang": lang.code})
        for lang in i18n.INTERFACE_LANGUAGES
    ]


def name_field(label) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(REQUIRED),
            not_blank,
            Length(max=NAME_MAX, message=_l("At most %(max)d characters.", max=NAME_MAX)),
            no_forbidden_characters,
        ],
        render_kw={"dir": "auto"},
    )


def description_field(label, limit: int = DESCRIPTION_MAX) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(max=limit, message=_l("At most %(max)d characters.", max=limit)),
            no_forbidden_characters,
        ],
        render_kw={"dir": "auto", "rows": 3},
    )


def reason_field() -> TextAreaField:
    return TextAreaField(
        _l("Reason"),
        validators=[DataRequired(REQUIRED), not_blank, Length(max=MAX_REASON)],
        description=_l("Recorded in the moderation log."),
        render_kw={"dir": "auto", "rows": 2},
    )


# --- boards -------------------------------------------------------------------------------


class BoardForm(Form):
    slug = StringField(
        _l("Address"),
        validators=[DataRequired(REQUIRED), Length(max=SLUG_MAX)],
        description=_l(
            "Part of the board's address, as in /b/social-finance: lowercase letters a–z, "
            "digits and hyphens. Changing it breaks links shared before."
        ),
    )
    name = name_field(_l("Name"))
    description = description_field(_l("Description"))
    language = SelectField(
        _l("Language of the name and description"), choices=interface_language_choices
    )
    members_only = BooleanField(_l("Only members can read this board"))
    read_only = BooleanField(_l("Read-only: only moderators can start topics and reply"))


class MoveBoardForm(Form):
    direction = SelectField(choices=[SelectChoice("up", "up"), SelectChoice("down", "down")])


class BoardTranslationForm(SubForm):
    """One language's name and description; an empty name removes the translation."""

    name = StringField(
        _l("Name"),
        validators=[
            Optional(),
            Length(max=NAME_MAX, message=_l("At most %(max)d characters.", max=NAME_MAX)),
            no_forbidden_characters,
        ],
        render_kw={"dir": "auto"},
    )
    description = description_field(_l("Description"))


class BoardTranslationsForm(Form):
    pass


class ModeratorForm(Form):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(REQUIRED), Length(max=64), no_forbidden_characters],
        description=_l("A member becomes a moderator of this board."),
    )


# --- members ------------------------------------------------------------------------------


class RoleForm(Form):
    role = SelectField(
        _l("Role"),
        choices=lambda: [
            SelectChoice(Role.MEMBER.value, str(_l("Member"))),
            SelectChoice(Role.MODERATOR.value, str(_l("Moderator of the boards ticked below"))),
            SelectChoice(Role.ADMIN.value, str(_l("Administrator (every board and these pages)"))),
        ],
    )
    boards = CheckboxesField(_l("Boards this member moderates"), coerce=int)


class SuspendForm(Form):
    until = DateField(
        _l("Suspended until"),
        validators=[InputRequired(REQUIRED)],
        description=_l(
            "Until the start of this day, in your time zone. Meanwhile the member can read "
            "but not write."
        ),
    )
    reason = reason_field()


class BanForm(Form):
    reason = reason_field()


# --- invitations and site settings -------------------------------------------------------


class InvitationForm(Form):
    days = IntegerField(
        _l("Valid for (days)"),
        validators=[
            InputRequired(REQUIRED),
            NumberRange(
                min=1,
                max=INVITATION_DAYS_MAX,
                message=_l("Between %(min)d and %(max)d days.", min=1, max=INVITATION_DAYS_MAX),
            ),
        ],
    )
    note = StringField(
        _l("Note"),
        validators=[Optional(), Length(max=200), no_forbidden_characters],
        description=_l("For your own records, such as who the invitation is for."),
        render_kw={"dir": "auto"},
    )


# Ends of lines for ``email`` (which refuses a header holding one) that the rules every field
# has do not catch: line feeds and returns are refused by the one-line rule (brain.forms), the
# other C0 controls by no_forbidden_characters.
_OTHER_LINE_ENDS = "\x85\u2028\u2029"


def one_header_line(form, field) -> None:
    """For a value that ends up in mail headers (the site name, in a subject): no line end of
    any kind and no control character (tab, C1 controls), each refusal said once."""
    text = field.data or ""
    if any(c in _OTHER_LINE_ENDS for c in text):
        raise ValidationError(_l("Write this on a single line."))
    if any(c == "\t" or "\x80" <= c <= "\x9f" for c in text):  # (other C0 and DEL: above)
        raise ValidationError(_l("This field contains characters that are not allowed."))


class SiteTextForm(SubForm):
    name = StringField(
        _l("Site name"),
        validators=[
            Optional(),
            Length(max=SITE_NAME_MAX, message=_l("At most %(max)d characters.", max=SITE_NAME_MAX)),
            no_forbidden_characters,
            one_header_line,
        ],
        render_kw={"dir": "auto"},
    )
    description = description_field(_l("Site description"), SITE_DESCRIPTION_MAX)


class SiteSettingsForm(Form):
    registration_mode = SelectField(
        _l("Registration"),
        choices=lambda: [
            SelectChoice(RegistrationMode.OPEN.value, str(_l("Open: anyone may register"))),
            SelectChoice(
                RegistrationMode.APPROVAL.value,
                str(_l("Approval: new members post once an administrator approves them")),
            ),
            SelectChoice(
                RegistrationMode.INVITATION.value,
                str(_l("Invitation: registering needs an invitation code")),
            ),
        ],
    )
    report_threshold = IntegerField(
        _l("Reports that hide a post"),
        validators=[
            InputRequired(REQUIRED),
            NumberRange(
                min=0,
                max=REPORT_THRESHOLD_MAX,
                message=_l("Between %(min)d and %(max)d.", min=0, max=REPORT_THRESHOLD_MAX),
            ),
        ],
        description=_l(
            "A post reported by this many members is hidden until a moderator decides; "
            "0 never hides a post automatically."
        ),
    )
    deleted_account_posts = SelectField(
        _l("When a member deletes their account"),
        choices=lambda: [
            SelectChoice(
                DeletedAccountPosts.KEEP.value,
                str(_l("Keep their posts, shown as by a former member")),
            ),
            SelectChoice(DeletedAccountPosts.REMOVE.value, str(_l("Remove their posts"))),
        ],
        # A form sent without this field (one saved before it existed) keeps the setting.
        default=lambda: deleted_account_posts().value,
        description=_l(
            "Removed posts leave a placeholder in their threads; their text is erased and "
            "disappears from search."
        ),
    )


# One name/description pair per interface language, as fields named after the language
# ("fr-name", "fr-description"), so adding a language to brain.i18n adds it here.
for _language in i18n.INTERFACE_LANGUAGES:
    setattr(
        BoardTranslationsForm,
        _language.code,
        FormField(BoardTranslationForm, label=_language.name),
    )
    setattr(SiteSettingsForm, _language.code, FormField(SiteTextForm, label=_language.name))
