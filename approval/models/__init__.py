"""The mapped classes, one module per aggregate; importing this package registers them all."""

from approval.models import notifications  # noqa: F401  (issue 12: registers its tables)
from approval.models.admin_log import AdminLogEntry
from approval.models.audit import AuditEntry
from approval.models.hub import KioskLink, PostCount, WallSettings
from approval.models.imports import PostImport
from approval.models.markets import Account, AccountKind, Campaign, Executive, Market, Network
from approval.models.media import Attachment, MediaFile, MediaKind, RevisionMedia, revision_sha256
from approval.models.policy import PolicyVersion
from approval.models.posts import Comment, Post, PostSet, Revision, SentPostForm, text_sha256
from approval.models.publishing import OutboxMessage, Outcome, PublicationAttempt, StopScope, StopSwitch
from approval.models.reports import ReportDay
from approval.models.tokens import ApiToken, FeedToken, IdempotencyKey
from approval.models.users import User

__all__ = [
    "Account",
    "AccountKind",
    "AdminLogEntry",
    "Attachment",
    "ApiToken",
    "AuditEntry",
    "Campaign",
    "Comment",
    "Executive",
    "FeedToken",
    "IdempotencyKey",
    "KioskLink",
    "Market",
    "MediaFile",
    "MediaKind",
    "Network",
    "OutboxMessage",
    "Outcome",
    "PolicyVersion",
    "Post",
    "PostSet",
    "PostCount",
    "PostImport",
    "PublicationAttempt",
    "ReportDay",
    "Revision",
    "RevisionMedia",
    "SentPostForm",
    "StopScope",
    "StopSwitch",
    "User",
    "WallSettings",
    "revision_sha256",
    "text_sha256",
]

# The administration log watches every session's flushes: registered with the models, so that no path that writes
# them (a page, a command, a script) goes unlogged.
from approval import admin_log  # noqa: E402, F401
