"""SQLAlchemy models, grouped by domain. Models never commit and never touch the request."""

from brain.models.attachments import Attachment, FileKind
from brain.models.community import ContentVersion, Counter, Invitation, SiteSetting, TaskTurn
from brain.models.cooperation import Cooperation, CooperationTag, Interest, StatusChange
from brain.models.forum import Board, BoardTranslation, Post, PostRevision, Submission, Topic
from brain.models.moderation import ModerationLog, Report
from brain.models.notifications import (
    BoardRead,
    DigestRun,
    MailFrequency,
    MailPreference,
    Notification,
    NotificationEvent,
    NotificationKind,
    OutgoingMail,
    TopicRead,
    Watch,
    WatchLevel,
)
from brain.models.search import SearchOutbox
from brain.models.types import utcnow
from brain.models.users import BoardModerator, LoginSession, MemberEdition, Role, User

__all__ = [
    "Attachment",
    "Board",
    "BoardModerator",
    "BoardRead",
    "BoardTranslation",
    "ContentVersion",
    "Cooperation",
    "CooperationTag",
    "Counter",
    "DigestRun",
    "FileKind",
    "Interest",
    "Invitation",
    "LoginSession",
    "MailFrequency",
    "MailPreference",
    "MemberEdition",
    "ModerationLog",
    "Notification",
    "NotificationEvent",
    "NotificationKind",
    "OutgoingMail",
    "Post",
    "PostRevision",
    "Report",
    "Role",
    "SearchOutbox",
    "SiteSetting",
    "StatusChange",
    "Submission",
    "TaskTurn",
    "Topic",
    "TopicRead",
    "User",
    "Watch",
    "WatchLevel",
    "utcnow",
]
