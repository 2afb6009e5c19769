"""Who may do what: the one place that maps roles to permissions and operations to the permission they need.

Deny by default: an operation that is not listed here is refused (and the app refuses to start when a served
operation is missing), a role that is not listed grants nothing, and a token without roles may only read.
Object-level rules (a member changes only what they wrote) are applied by the handlers with :func:`may_act_on`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class Permission(StrEnum):
    """One thing a caller may be allowed to do."""

    POST_CREATE = "post:create"
    POST_EDIT_OWN = "post:edit-own"
    POST_DELETE_OWN = "post:delete-own"
    POST_HIDE = "post:hide"
    COMMENT_CREATE = "comment:create"
    ROOM_CREATE = "room:create"
    MESSAGE_CREATE = "message:create"
    MESSAGE_DELETE_OWN = "message:delete-own"
    MESSAGE_DELETE_ANY = "message:delete-any"
    USER_BAN = "user:ban"
    USER_FOLLOW = "user:follow"
    TIMELINE_READ = "timeline:read"


_MEMBER = frozenset(
    {
        Permission.POST_CREATE,
        Permission.POST_EDIT_OWN,
        Permission.POST_DELETE_OWN,
        Permission.COMMENT_CREATE,
        Permission.ROOM_CREATE,
        Permission.MESSAGE_CREATE,
        Permission.MESSAGE_DELETE_OWN,
        Permission.USER_FOLLOW,
        Permission.TIMELINE_READ,
    }
)
_MODERATOR = _MEMBER | {Permission.POST_HIDE, Permission.MESSAGE_DELETE_ANY}
_ADMIN = _MODERATOR | {Permission.USER_BAN}

ROLE_PERMISSIONS: Mapping[str, frozenset[Permission]] = {
    "member": _MEMBER,
    "moderator": _MODERATOR,
    "admin": _ADMIN,
}
"""Each role's permissions. Roles come from the token's ``roles`` claim; a caller holds the union."""

PUBLIC = None
"""The requirement of operations that anyone may call without a token."""

OPERATIONS: Mapping[str, Permission | None] = {
    "listPosts": PUBLIC,
    "listFeed": PUBLIC,
    "getPost": PUBLIC,
    "createPost": Permission.POST_CREATE,
    "updatePost": Permission.POST_EDIT_OWN,
    "deletePost": Permission.POST_DELETE_OWN,
    "hidePost": Permission.POST_HIDE,
    "listComments": PUBLIC,
    "createComment": Permission.COMMENT_CREATE,
    "listRooms": PUBLIC,
    "getRoom": PUBLIC,
    "createRoom": Permission.ROOM_CREATE,
    "listMessages": PUBLIC,
    "streamMessages": PUBLIC,
    "createMessage": Permission.MESSAGE_CREATE,
    "deleteMessage": Permission.MESSAGE_DELETE_OWN,
    "banUser": Permission.USER_BAN,
    "followUser": Permission.USER_FOLLOW,
    "unfollowUser": Permission.USER_FOLLOW,
    "listTimeline": Permission.TIMELINE_READ,
}
"""Each operation (by ``operationId``) and the permission a caller needs for it; ``PUBLIC`` needs none."""


class NotDeclared(KeyError):
    """An operation with no entry in :data:`OPERATIONS`: it is denied."""


def required(operation_id: str) -> Permission | None:
    """The permission ``operation_id`` needs; :class:`NotDeclared` when the operation is not listed."""
    try:
        return OPERATIONS[operation_id]
    except KeyError:
        raise NotDeclared(operation_id) from None


def permissions_of(roles: Iterable[str]) -> frozenset[Permission]:
    """Everything a caller with ``roles`` may do; unknown roles grant nothing."""
    held: frozenset[Permission] = frozenset()
    for role in roles:
        held |= ROLE_PERMISSIONS.get(role, frozenset())
    return held


def roles_with(permission: Permission) -> list[str]:
    """The roles that hold ``permission``, least privileged first."""
    return [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]


def operation_roles(operation_id: str) -> list[str]:
    """The roles that may call ``operation_id`` (empty for public operations): the contract's ``x-roles``."""
    permission = required(operation_id)
    return [] if permission is None else roles_with(permission)


def may_act_on(owner: str, sub: str, roles: Iterable[str], any_permission: Permission | None = None) -> bool:
    """Object-level check: the caller owns the object, or holds ``any_permission`` over everyone's objects."""
    return owner == sub or (any_permission is not None and any_permission in permissions_of(roles))
