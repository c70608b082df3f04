"""Reading members: profiles by name and the directory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from brain.extensions import db
from brain.models import MemberEdition, User
from brain.ops.accounts import username_key
from brain.ops.text import contains_pattern


def member_named(username: str) -> User | None:
    """The member whose name matches *username* however it is written (case, width)."""
    return db.session.scalar(select(User).where(User.username_key == username_key(username[:64])))


@dataclass
class DirectoryFilters:
    """What the directory is filtered by; empty strings filter nothing."""

    name: str = ""
    country: str = ""
    edition: str = ""
    language: str = ""
    expertise: str = ""


def directory(filters: DirectoryFilters, page: int, per_page: int) -> tuple[list[User], int]:
    """One page of the members listed in the directory (approved, neither banned nor
    deleted), by display name, and how many match in all."""
    where = [User.banned_at.is_(None), User.approved_at.is_not(None), User.deleted_at.is_(None)]
    if filters.name:
        pattern = contains_pattern(filters.name.casefold())
        where.append(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    if filters.country:
        where.append(User.country == filters.country)
    if filters.edition:
        where.append(
            exists().where(
                MemberEdition.user_id == User.id, MemberEdition.edition == filters.edition
            )
        )
    if filters.language:
        spoken = "," + func.coalesce(User.spoken_languages_csv, "") + ","
        where.append(spoken.like(f"%,{filters.language},%"))
    if filters.expertise:
        pattern = contains_pattern(filters.expertise.casefold())
        where.append(func.lower(User.expertise).like(pattern, escape="\\"))
    total = db.session.scalar(select(func.count(User.id)).where(*where))
    members = db.session.scalars(
        select(User)
        .options(selectinload(User.editions))
        .where(*where)
        .order_by(func.lower(User.display_name), User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(members), total
