"""The mapped classes, one module per aggregate; importing this package registers them all."""

from approval.models.audit import AuditEntry
from approval.models.markets import Account, AccountKind, Campaign, Executive, Market, Network
from approval.models.posts import Comment, Post, Revision, text_sha256
from approval.models.users import User

__all__ = [
    "Account",
    "AccountKind",
    "AuditEntry",
    "Campaign",
    "Comment",
    "Executive",
    "Market",
    "Network",
    "Post",
    "Revision",
    "User",
    "text_sha256",
]
