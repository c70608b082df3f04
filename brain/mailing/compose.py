"""The mails about notifications and the digests, written for each member: in their interface
language, dates in their time zone, links to the site's public address (BRAIN_SITE_URL), a
plain-text and an HTML part, and a one-click unsubscribe (RFC 8058) for that kind of mail.

Excerpts of posts come from their sanitised HTML made plain text (mention links resolved, no
Markdown syntax), cut at a word, and escaped like any other text: a cut can never leave an
open tag behind, and the mail holds no markup a post brought in. An excerpt in a right-to-left
language is marked ``dir="rtl"`` with its ``lang``.

Templates are rendered straight from the app's Jinja environment, without the context
processors of pages: a mail is not a page, and is often written where there is no request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from flask import current_app, url_for
from flask_babel import force_locale, gettext, ngettext

from brain import i18n, mail, settings
from brain.models import MailFrequency, Notification, NotificationKind, OutgoingMail, User
from brain.ops.mailing import MemberMail, unsubscribe_token

Kind = NotificationKind
EXCERPT_CHARS = 400
_BLOCKS = frozenset(
    {"p", "br", "li", "div", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "hr"}
)
_SPACES = re.compile(r"[ \t\r\f\v]+")


# --- excerpts -----------------------------------------------------------------------------


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """The text of sanitised post HTML, one line per paragraph."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def excerpt(html: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a post as plain text, cut at a word within *limit* characters."""
    text = plain_text(html)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


# --- what each notification says ---------------------------------------------------------


@dataclass
class Item:
    """One notification as a mail shows it."""

    line: str
    url: str
    author: str = ""
    when: str = ""
    excerpt: str = ""
    lang: str = ""
    dir: str = "ltr"
    reason: str = ""
    topic_id: int | None = None
    topic_title: str = ""
    topic_lang: str = ""
    topic_dir: str = "ltr"
    topic_url: str = ""
    board_name: str = ""

    @property
    def paragraphs(self) -> list[str]:
        return self.excerpt.split("\n") if self.excerpt else []


def _name(user: User | None) -> str:
    if user is None or user.deleted_at is not None:
        return gettext("Former member")
    return user.display_name


def _line(n: Notification, site: str) -> str:
    topic = n.topic or (n.post.topic if n.post is not None else None)
    v = {"actor": _name(n.actor), "topic": topic.title if topic is not None else "", "site": site}
    kind = n.kind
    if kind == Kind.REPLY:
        return gettext("%(actor)s replied to your post in “%(topic)s”", **v)
    if kind == Kind.WATCHED_REPLY:
        return gettext("%(actor)s posted in “%(topic)s”", **v)
    if kind == Kind.WATCHED_TOPIC:
        return gettext("%(actor)s started a topic: “%(topic)s”", **v)
    if kind == Kind.MENTION:
        return gettext("%(actor)s mentioned you in “%(topic)s”", **v)
    if kind == Kind.QUOTE:
        return gettext("%(actor)s quoted your post in “%(topic)s”", **v)
    if kind == Kind.INTEREST:
        return gettext("%(actor)s is interested in “%(topic)s”", **v)
    if kind == Kind.INTEREST_ACCEPTED:
        return gettext("%(actor)s accepted your interest in “%(topic)s”", **v)
    if kind == Kind.STATUS:
        return gettext("The status of “%(topic)s” changed", **v)
    if kind == Kind.MATCH:
        return gettext("A new offer matches your request: “%(topic)s”", **v)
    if kind == Kind.MODERATION:
        return gettext("A moderator changed the visibility of your post in “%(topic)s”", **v)
    return gettext("Your account on %(site)s is approved", **v)


def _time_zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _when(moment: datetime, user: User, locale: str) -> str:
    """A date and time in the member's time zone and language, naming the zone."""
    return format_datetime(moment, "medium", tzinfo=_time_zone(user), locale=locale) + (
        f" ({_time_zone(user).key})"
    )


def _item(n: Notification, user: User, locale: str, site: str) -> Item:
    post = n.post
    topic = n.topic or (post.topic if post is not None else None)
    if post is not None:
        url = url_for("forum.permalink", post_id=post.id, _external=True)
    elif topic is not None:
        url = url_for("forum.topic", topic_id=topic.id, slug=topic.slug, _external=True)
    else:
        url = url_for("site.home", _external=True)
    item = Item(line=_line(n, site), url=url)
    if topic is not None:
        item.topic_id = topic.id
        item.topic_title = topic.title
        item.topic_lang = topic.language
        item.topic_dir = i18n.direction_of(topic.language)
        item.topic_url = url_for("forum.topic", topic_id=topic.id, slug=topic.slug, _external=True)
        item.board_name = topic.board.name_in(locale)
    if post is not None:
        item.author = _name(post.author)
        item.when = _when(post.created_at, user, locale)
        item.excerpt = excerpt(post.body_html) if post.is_visible else ""
        item.lang = post.language
        item.dir = i18n.direction_of(post.language)
    if n.kind == Kind.MODERATION and n.detail:
        item.reason = n.detail
    return item


# --- the mails ----------------------------------------------------------------------------


def _locale(user: User) -> str:
    return i18n.supported(user.locale) or "en"


def _render(template: str, context: dict) -> str:
    return current_app.jinja_env.get_template(template).render(context)


def _write(mail_for: MemberMail, scope: str, kind: str, subject: str, template: str, **context):
    user = mail_for.user
    locale = _locale(user)
    unsubscribe = url_for(
        "mailing.unsubscribe", token=unsubscribe_token(user, scope), _external=True
    )
    context = {
        **context,
        "user": user,
        "name": _name(user),
        "site": settings.site_name(locale),
        "site_url": url_for("site.home", _external=True),
        "settings_url": url_for("members.settings", _external=True, _anchor="mail"),
        "unsubscribe_url": unsubscribe,
        "lang": locale,
        "dir": i18n.BY_CODE[locale].direction,
        "subject": subject,
    }
    return mail.queue_mail(
        user.email,
        subject,
        _render(f"mail/{template}.txt", context),
        _render(f"mail/{template}.html", context),
        kind=kind,
        user_id=user.id,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def queue_notification_mail(mail_for: MemberMail) -> OutgoingMail:
    """One mail about a member's notifications due now (one or several)."""
    user, notifications = mail_for.user, mail_for.notifications
    locale = _locale(user)
    kinds = {n.kind for n in notifications}
    # A mail about one kind unsubscribes from that kind; about several, from immediate mail.
    scope = next(iter(kinds)).value if len(kinds) == 1 else MailFrequency.IMMEDIATELY.value
    with mail.public_links(), force_locale(locale):
        site = settings.site_name(locale)
        items = [_item(n, user, locale, site) for n in notifications]
        if len(items) == 1:
            subject = items[0].line
        else:
            subject = ngettext(
                "%(num)d new notification on %(site)s",
                "%(num)d new notifications on %(site)s",
                len(items),
                site=site,
            )
        return _write(
            mail_for, scope, scope, subject, "notifications", items=items, kinds=sorted(kinds)
        )


@dataclass
class TopicGroup:
    title: str
    url: str
    board_name: str
    lang: str
    dir: str
    items: list[Item]


def queue_digest(mail_for: MemberMail) -> OutgoingMail:
    """A member's daily or weekly digest: their notifications grouped by topic."""
    user, frequency = mail_for.user, mail_for.frequency
    locale = _locale(user)
    with mail.public_links(), force_locale(locale):
        site = settings.site_name(locale)
        groups: dict[int | None, TopicGroup] = {}
        for n in mail_for.notifications:
            item = _item(n, user, locale, site)
            group = groups.get(item.topic_id)
            if group is None:
                group = groups[item.topic_id] = TopicGroup(
                    item.topic_title,
                    item.topic_url,
                    item.board_name,
                    item.topic_lang,
                    item.topic_dir,
                    [],
                )
            group.items.append(item)
        count = len(mail_for.notifications)
        if frequency == MailFrequency.WEEKLY:
            subject = ngettext(
                "Your weekly digest from %(site)s: %(num)d new item",
                "Your weekly digest from %(site)s: %(num)d new items",
                count,
                site=site,
            )
        else:
            subject = ngettext(
                "Your daily digest from %(site)s: %(num)d new item",
                "Your daily digest from %(site)s: %(num)d new items",
                count,
                site=site,
            )
        since = _when(mail_for.since, user, locale) if mail_for.since else ""
        return _write(
            mail_for,
            frequency.value,
            f"digest_{frequency.value}",
            subject,
            "digest",
            groups=list(groups.values()),
            since=since,
        )
