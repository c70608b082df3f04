from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from brain.forms import Form, no_forbidden_characters
from brain.ops.accounts import MAX_PASSWORD, MIN_PASSWORD, normalise_username, validate_username

REQUIRED = _l("This field is required.")


def acceptable_username(form, field) -> None:
    problem = validate_username(normalise_username(field.data or ""))
    if problem:
        raise ValidationError(problem)


class LoginForm(Form):
    login = StringField(
        _l("Username or email"),
        validators=[DataRequired(REQUIRED), Length(max=254), no_forbidden_characters],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(REQUIRED), Length(max=MAX_PASSWORD)]
    )
    remember = BooleanField(_l("Keep me logged in"))


def new_password_field(label) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(REQUIRED),
            Length(
                min=MIN_PASSWORD,
                max=MAX_PASSWORD,
                message=_l("Use at least %(min)d characters.", min=MIN_PASSWORD),
            ),
        ],
    )


def confirm_field() -> PasswordField:
    return PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
    )


def email_field() -> EmailField:
    return EmailField(
        _l("Email"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=254),
            Email(_l("Enter a valid email address."), check_deliverability=False),
        ],
    )


class RegisterForm(Form):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(REQUIRED), no_forbidden_characters, acceptable_username],
        description=_l("Letters, digits, dots, hyphens and underscores; used in @mentions."),
    )
    display_name = StringField(
        _l("Display name"),
        validators=[Optional(), Length(max=64), no_forbidden_characters],
        description=_l("How your name is shown; any alphabet or writing system is fine."),
    )
    email = email_field()
    password = new_password_field(_l("Password"))
    confirm = confirm_field()
    invitation = StringField(
        _l("Invitation code"),
        validators=[Optional(), Length(max=64), no_forbidden_characters],
        description=_l("Registration is by invitation: paste the code you received."),
    )


class ResetRequestForm(Form):
    email = email_field()


class ResetPasswordForm(Form):
    password = new_password_field(_l("New password"))
    confirm = confirm_field()
