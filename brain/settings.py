"""Site settings an administrator changes on the settings page, stored in the database.

Each setting has a default from the configuration (so a fresh site works before anyone opens
the settings page); the database value, once saved, wins. Values are read once per request.
"""

from __future__ import annotations

import enum

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from brain.extensions import db
from brain.models import SiteSetting
from brain.ops.text import parse_count


class RegistrationMode(enum.StrEnum):
    OPEN = "open"  # anyone may register and post at once
    APPROVAL = "approval"  # new accounts read, and post once an administrator approves them
    INVITATION = "invitation"  # registering needs an unused, unexpired invitation code


class DeletedAccountPosts(enum.StrEnum):
    """What happens to a member's posts when they delete their account."""

    KEEP = "keep"  # the posts stay, shown as by a former member
    REMOVE = "remove"  # the posts are deleted and their text erased


def _stored() -> dict[str, str]:
    if "site_settings" not in g:
        try:
            rows = db.session.execute(select(SiteSetting.key, SiteSetting.value)).all()
        except SQLAlchemyError:  # an error page must render even when the database cannot
            rows = []
            try:
                db.session.rollback()
            except SQLAlchemyError:
                db.session.registry.clear()
        g.site_settings = dict(rows)
    return g.site_settings


def get(key: str, default: str = "") -> str:
    return _stored().get(key, default)


def put(key: str, value: str) -> None:
    """Store *value* (the caller commits)."""
    row = db.session.get(SiteSetting, key)
    if row is None:
        db.session.add(SiteSetting(key=key, value=value))
    else:
        row.value = value
    g.pop("site_settings", None)


def registration_mode() -> RegistrationMode:
    value = get("registration_mode", current_app.config["REGISTRATION_MODE"])
    try:
        return RegistrationMode(value)
    except ValueError:
        return RegistrationMode.OPEN


def deleted_account_posts() -> DeletedAccountPosts:
    try:
        return DeletedAccountPosts(get("deleted_account_posts", DeletedAccountPosts.KEEP.value))
    except ValueError:
        return DeletedAccountPosts.KEEP


def report_threshold() -> int:
    value = parse_count(get("report_threshold"))
    return current_app.config["REPORT_THRESHOLD"] if value is None else value


def site_name(locale: str) -> str:
    return get(f"site_name.{locale}") or get("site_name.en") or current_app.config["SITE_NAME"]


def site_description(locale: str) -> str:
    return get(f"site_description.{locale}") or get("site_description.en")
