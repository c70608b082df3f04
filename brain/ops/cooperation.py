"""Meeting Point operations: post an offer, request or experience; change its status; express
interest; accept partners. Checks of *what* may be written live here; checks of *who* may act
live in brain.permissions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from brain.extensions import db
from brain.i18n import content_language_codes
from brain.models import Board, Cooperation, CooperationTag, Interest, StatusChange, Topic, User
from brain.models.types import utcnow
from brain.ops import notifications, watching
from brain.ops.errors import OperationError
from brain.ops.posts import start_topic
from brain.ops.text import clean_text
from brain.vocabulary import meeting as catalog
from brain.vocabulary.meeting import Kind, Status

MAX_THEMES = 5
MAX_COUNTRIES = 20
MAX_INTEREST = 1000
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


@dataclass
class Details:
    """The structured part of a cooperation post, as a person filled it in."""

    kind: str
    modality: str
    themes: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    sdgs: list[int] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None
    ongoing: bool = False

    def problems(self) -> dict[str, str]:
        """Field name → what is wrong with it (empty when everything can be saved)."""
        found: dict[str, str] = {}
        if self.kind not in set(Kind):
            found["kind"] = _l("Choose whether this is an offer, a request or an experience.")
        if self.modality not in catalog.MODALITIES:
            found["modality"] = _l("Choose a form of cooperation from the list.")
        if not self.themes:
            found["themes"] = _l("Choose at least one theme.")
        elif any(theme not in catalog.THEMES for theme in self.themes):
            found["themes"] = _l("Choose themes from the list.")
        elif len(set(self.themes)) > MAX_THEMES:
            found["themes"] = _l("Choose at most %(max)d themes.", max=MAX_THEMES)
        if not self.countries:
            found["countries"] = _l("Choose at least one country.")
        elif any(code not in catalog.REGION_OF for code in self.countries):
            found["countries"] = _l("One of the countries is not a known country code.")
        elif len(set(self.countries)) > MAX_COUNTRIES:
            found["countries"] = _l("Choose at most %(max)d countries.", max=MAX_COUNTRIES)
        if any(not isinstance(n, int) or n not in catalog.SDGS for n in self.sdgs):
            found["sdgs"] = _l("Sustainable Development Goals are numbered 1 to 17.")
        if not self.languages:
            found["languages"] = _l("Choose at least one working language.")
        elif any(code not in content_language_codes() for code in self.languages):
            found["languages"] = _l("Choose working languages from the list.")
        for name in ("starts_on", "ends_on"):
            day = getattr(self, name)
            if day is not None and not EARLIEST <= day <= LATEST:
                found[name] = _l("Enter a date between 2000 and 2100.")
        if "starts_on" not in found and "ends_on" not in found:
            if self.ongoing and self.ends_on is not None:
                found["ends_on"] = _l("An ongoing cooperation has no end date.")
            elif self.starts_on and self.ends_on and self.ends_on < self.starts_on:
                found["ends_on"] = _l("The end date comes before the start date.")
        return found

    def tags(self) -> list[tuple[str, str]]:
        countries = sorted(set(self.countries))
        return sorted(
            {("theme", theme) for theme in self.themes}
            | {("country", code) for code in countries}
            | {("region", region) for region in catalog.regions_of(countries)}
            | {("sdg", str(number)) for number in self.sdgs}
            | {("language", code) for code in self.languages}
        )


def _check(details: Details) -> None:
    problems = details.problems()
    if problems:
        name, message = next(iter(problems.items()))
        raise OperationError(message, field=name)


def _apply(cooperation: Cooperation, details: Details) -> None:
    cooperation.kind = details.kind
    cooperation.modality = details.modality
    cooperation.starts_on = details.starts_on
    cooperation.ends_on = None if details.ongoing else details.ends_on
    cooperation.ongoing = details.ongoing
    wanted = details.tags()
    kept = [tag for tag in cooperation.tags if (tag.facet, tag.value) in set(wanted)]
    have = {(tag.facet, tag.value) for tag in kept}
    cooperation.tags = kept + [
        CooperationTag(facet=facet, value=value)
        for facet, value in wanted
        if (facet, value) not in have
    ]


def post_cooperation(
    board: Board, author: User, title: str, body: str, language: str, details: Details, *, when=None
) -> Topic:
    """Open a topic on the Meeting Point board with its cooperation details."""
    _check(details)
    topic = start_topic(board, author, title, body, language, when=when)
    cooperation = Cooperation(topic=topic, status=Status.OPEN, status_changed_at=topic.created_at)
    _apply(cooperation, details)
    db.session.add(cooperation)
    db.session.flush()
    db.session.add(
        StatusChange(
            topic_id=topic.id,
            actor_id=author.id,
            old_status=None,
            new_status=Status.OPEN,
            created_at=topic.created_at,
        )
    )
    return topic


def edit_cooperation(cooperation: Cooperation, details: Details) -> None:
    """Replace the structured details (the title and text are edited like any post)."""
    _check(details)
    _apply(cooperation, details)


def change_status(
    cooperation: Cooperation, actor: User, new: str, note: str = "", *, when=None
) -> None:
    """Move to status *new* if the transition is allowed; the change is kept in the history."""
    try:
        target = Status(new)
    except ValueError:
        raise OperationError(_l("That is not a status a post can have."), field="status") from None
    current = Status(cooperation.status)
    if target not in catalog.TRANSITIONS[current]:
        raise OperationError(
            _l(
                "A post that is “%(current)s” cannot become “%(target)s”.",
                current=catalog.STATUS_LABELS[current],
                target=catalog.STATUS_LABELS[target],
            ),
            field="status",
        )
    if target is Status.MATCHED and not cooperation.partners:
        raise OperationError(
            _l("Accept the interest of at least one partner before marking the post matched."),
            field="status",
        )
    now = when or utcnow()
    cooperation.status = target
    cooperation.status_changed_at = now
    cooperation.history.append(
        StatusChange(
            actor_id=actor.id,
            old_status=current,
            new_status=target,
            note=clean_text(note).strip()[:500],
            created_at=now,
        )
    )
    notifications.status_changed(cooperation, actor, target)


def express_interest(
    cooperation: Cooperation, member: User, message: str, *, when=None
) -> Interest:
    message = clean_text(message).strip()
    if not message:
        raise OperationError(_l("Say a few words about your interest."), field="message")
    if len(message) > MAX_INTEREST:
        raise OperationError(_l("At most %(max)d characters.", max=MAX_INTEREST), field="message")
    if cooperation.kind == Kind.EXPERIENCE:
        raise OperationError(_l("Interest is expressed in offers and requests."), field="message")
    if cooperation.topic.author_id == member.id:
        raise OperationError(_l("This is your own post."), field="message")
    if Status(cooperation.status) not in catalog.LOOKING:
        raise OperationError(_l("This post is no longer looking for partners."), field="message")
    if any(interest.member_id == member.id for interest in cooperation.interests):
        raise OperationError(
            _l("You have already expressed interest in this post."), field="message"
        )
    interest = Interest(member_id=member.id, message=message, created_at=when or utcnow())
    cooperation.interests.append(interest)
    db.session.flush()
    watching.watch_topic(member, cooperation.topic)
    notifications.interest_expressed(cooperation, interest)
    return interest


def accept_interest(cooperation: Cooperation, interest: Interest, *, when=None) -> None:
    if interest.topic_id != cooperation.topic_id:
        raise OperationError(_l("That interest belongs to another post."))
    if interest.accepted_at is None:
        interest.accepted_at = when or utcnow()
        notifications.interest_accepted(cooperation, interest)
