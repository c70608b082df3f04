"""Mail settings in words: each kind of notification as the settings page and the unsubscribe
page name it, and each frequency. Shared by the members' settings, the unsubscribe page and
the mails themselves."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from brain.models.notifications import MailFrequency, NotificationKind

Kind = NotificationKind

# In the order the settings page lists them: what concerns you, then what you watch.
KIND_LABELS = {
    Kind.REPLY: _l("Replies to your posts"),
    Kind.MENTION: _l("Mentions of you"),
    Kind.QUOTE: _l("Quotes of your posts"),
    Kind.INTEREST: _l("Interest in your Meeting Point posts"),
    Kind.INTEREST_ACCEPTED: _l("Your interest accepted"),
    Kind.MODERATION: _l("Your posts hidden or restored by a moderator"),
    Kind.APPROVED: _l("Your account approved"),
    Kind.WATCHED_REPLY: _l("New posts in topics you watch"),
    Kind.WATCHED_TOPIC: _l("New topics in boards you watch"),
    Kind.STATUS: _l("Status changes of Meeting Point posts you are interested in"),
    Kind.MATCH: _l("New offers matching your open requests"),
}

FREQUENCY_LABELS = {
    MailFrequency.IMMEDIATELY: _l("Immediately"),
    MailFrequency.DAILY: _l("In a daily digest"),
    MailFrequency.WEEKLY: _l("In a weekly digest"),
    MailFrequency.NEVER: _l("Never"),
}

# What an unsubscribe link stops, when it names a kind of mail rather than a notification.
MAIL_LABELS = {
    MailFrequency.IMMEDIATELY: _l("Immediate mail about your notifications"),
    MailFrequency.DAILY: _l("The daily digest"),
    MailFrequency.WEEKLY: _l("The weekly digest"),
}


def scope_label(scope: str) -> str:
    """What an unsubscribe link stops, in words."""
    if scope in {frequency.value for frequency in MailFrequency}:
        return str(MAIL_LABELS[MailFrequency(scope)])
    return str(KIND_LABELS[NotificationKind(scope)])
