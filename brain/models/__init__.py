"""SQLAlchemy models, grouped by domain. Models never commit and never touch the request."""

from brain.models.community import ContentVersion, Counter, Invitation, SiteSetting
from brain.models.cooperation import Cooperation, CooperationTag, Interest, StatusChange
from brain.models.forum import Board, BoardTranslation, Post, PostRevision, Submission, Topic
from brain.models.moderation import ModerationLog, Report
from brain.models.search import SearchOutbox
from brain.models.types import utcnow
from brain.models.users import BoardModerator, LoginSession, MemberEdition, Role, User

__all__ = [
    "Board",
    "BoardModerator",
    "BoardTranslation",
    "ContentVersion",
    "Cooperation",
    "CooperationTag",
    "Counter",
    "Interest",
    "Invitation",
    "LoginSession",
    "MemberEdition",
    "ModerationLog",
    "Post",
    "PostRevision",
    "Report",
    "Role",
    "SearchOutbox",
    "SiteSetting",
    "StatusChange",
    "Submission",
    "Topic",
    "User",
    "utcnow",
]
