"""The demo community loaded by ``brain setup`` the first time (content in content.json)."""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

from brain.extensions import db
from brain.models import Board, BoardModerator, BoardTranslation, Post, Role, User, utcnow
from brain.ops.accounts import register_member, update_profile
from brain.ops.cooperation import (
    Details,
    accept_interest,
    change_status,
    express_interest,
    post_cooperation,
)
from brain.ops.posts import reply, start_topic

CONTENT = Path(__file__).with_name("content.json")
MEETING = Path(__file__).with_name("meeting.json")


def load_demo(path: Path = CONTENT) -> list[dict]:
    """Create the demo boards, members and conversations; returns the generated accounts."""
    content = json.loads(path.read_text(encoding="utf-8"))
    boards = {}
    for spec in content["boards"]:
        board = Board(
            slug=spec["slug"],
            position=spec["position"],
            name=spec["name"],
            description=spec["description"],
            language=spec.get("language", "en"),
            members_only=spec.get("members_only", False),
            read_only=spec.get("read_only", False),
        )
        for locale, words in spec.get("translations", {}).items():
            board.translations.append(
                BoardTranslation(
                    locale=locale, name=words["name"], description=words.get("description", "")
                )
            )
        db.session.add(board)
        boards[spec["slug"]] = board
    db.session.flush()

    accounts, members = [], {}
    now = utcnow()
    for index, spec in enumerate(content["members"]):
        password = secrets.token_urlsafe(9)
        role = Role(spec.get("role", "member"))
        user = register_member(
            spec["username"],
            f"{spec['username']}@demo.invalid",
            password,
            spec["display_name"],
            role=role,
            locale=spec.get("locale"),
        )
        update_profile(
            user,
            display_name=spec["display_name"],
            country=spec.get("country"),
            organisation=spec.get("organisation", ""),
            spoken_languages=spec.get("languages", []),
            editions=spec.get("editions", []),
            expertise=", ".join(spec.get("expertise", [])),
            bio=spec.get("bio", ""),
        )
        user.created_at = now - timedelta(days=400 - index * 7)
        members[spec["username"]] = user
        accounts.append({"username": user.username, "password": password, "role": role.value})
        if role == Role.MODERATOR:
            for board in boards.values():
                db.session.add(BoardModerator(board_id=board.id, user_id=user.id))
    db.session.flush()

    for spec in content["topics"]:
        start = now - timedelta(days=spec["days_ago"])
        opening, *replies = spec["posts"]
        topic = start_topic(
            boards[spec["board"]],
            members[opening["author"]],
            spec["title"],
            opening["body"],
            opening.get("language", spec["language"]),
            when=start,
        )
        topic.is_pinned = spec.get("pinned", False)
        written = {opening["key"]: db.session.get(Post, topic.first_post_id)}
        for item in replies:
            when = min(start + timedelta(hours=item.get("hours_after", 1)), now)
            parent = written[item["reply_to"]] if item.get("reply_to") else written[opening["key"]]
            written[item["key"]] = reply(
                parent,
                members[item["author"]],
                item["body"],
                item.get("language", spec["language"]),
                when=when,
            )
    load_meeting_point(boards["meeting-point"], members, now)
    return accounts


def _later(start: datetime, offset: dict, now: datetime) -> datetime:
    moment = start + timedelta(days=offset.get("days_after", 0), hours=offset.get("hours_after", 0))
    return min(moment, now)


def _day(now: datetime, days: int | None) -> date | None:
    return None if days is None else (now + timedelta(days=days)).date()


def load_meeting_point(
    board: Board, members: dict[str, User], now: datetime, path: Path = MEETING
) -> None:
    """Create the Meeting Point's cooperation posts through the ops (so they are validated).

    meeting.json holds {"posts": [...]}, oldest first. Each post has author (a username of
    content.json), title, language, days_ago (when it was posted), body, and details: kind,
    modality, themes, countries, sdgs, languages, ongoing, and starts_in_days / ends_in_days
    (days from the day of loading, negative in the past; either may be left out). Optional:
    replies (key, author, reply_to: another reply's key, or null for the opening post,
    language, body), interests (member, message, and accepted: when the author accepted it)
    and statuses (status, note: changes made by the author, in order). Every event is timed by
    days_after and/or hours_after the post, and never later than now.
    """
    content = json.loads(path.read_text(encoding="utf-8"))
    for spec in content["posts"]:
        start = now - timedelta(days=spec["days_ago"])
        author = members[spec["author"]]
        facts = spec["details"]
        details = Details(
            kind=facts["kind"],
            modality=facts["modality"],
            themes=facts["themes"],
            countries=facts["countries"],
            sdgs=facts.get("sdgs", []),
            languages=facts["languages"],
            starts_on=_day(now, facts.get("starts_in_days")),
            ends_on=_day(now, facts.get("ends_in_days")),
            ongoing=facts.get("ongoing", False),
        )
        topic = post_cooperation(
            board, author, spec["title"], spec["body"], spec["language"], details, when=start
        )
        cooperation = topic.cooperation
        written = {None: db.session.get(Post, topic.first_post_id)}
        for item in spec.get("replies", []):
            written[item["key"]] = reply(
                written[item.get("reply_to")],
                members[item["author"]],
                item["body"],
                item.get("language", spec["language"]),
                when=_later(start, item, now),
            )
        for item in spec.get("interests", []):
            interest = express_interest(
                cooperation, members[item["member"]], item["message"], when=_later(start, item, now)
            )
            if "accepted" in item:
                accept_interest(cooperation, interest, when=_later(start, item["accepted"], now))
        for item in spec.get("statuses", []):
            change_status(
                cooperation,
                author,
                item["status"],
                item.get("note", ""),
                when=_later(start, item, now),
            )
    db.session.flush()
