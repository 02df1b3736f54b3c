"""The mapped classes, one module per aggregate; importing this package registers them all."""

from approval.models.audit import AuditEntry
from approval.models.markets import Account, AccountKind, Campaign, Executive, Market, Network
from approval.models.policy import PolicyVersion
from approval.models.posts import Comment, Post, Revision, text_sha256
from approval.models.tokens import ApiToken, IdempotencyKey
from approval.models.users import User

__all__ = [
    "Account",
    "AccountKind",
    "ApiToken",
    "AuditEntry",
    "Campaign",
    "Comment",
    "Executive",
    "IdempotencyKey",
    "Market",
    "Network",
    "PolicyVersion",
    "Post",
    "Revision",
    "User",
    "text_sha256",
]
