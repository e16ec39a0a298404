"""What an API key may touch: the scope catalogue, and the scope each /api/v1 operation needs.

The needed scope is derived from the route itself (its OpenAPI tag gives the family, its HTTP method read or
write), never listed per operation: a new operation under a known tag is covered the day it is written, and
one under a new tag fails tests/workspaces/test_scopes.py until its tag is given a family here. At run time
such an operation asks for ``admin``, so a scoped key is refused rather than silently let through.

A key's scopes limit it; its role still applies (a key with ``admin`` scope but the viewer role cannot write).
A key whose scopes are ``None`` has every scope: keys made before scopes existed keep working.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """A group of operations, with the scope that reads it and the scope that changes it."""

    name: str
    read: str
    write: str


CONTACTS = Family("contacts", read="contacts:read", write="contacts:write")
ORDERS = Family("orders", read="orders:read", write="orders:write")
CHAT = Family("chat", read="chat", write="chat")
FEEDBACK = Family("feedback", read="feedback:read", write="feedback:write")
REPORTS = Family("reports", read="reports:read", write="reports:write")
HELP = Family("help", read="help:read", write="help:write")
ADMIN = Family("admin", read="admin", write="admin")

# Every scope a key can be given, in the order the console lists them, each with what it opens.
SCOPES: dict[str, str] = {
    "contacts:read": "Read contacts, their timelines, attributes and segments",
    "contacts:write": "Create, change, merge, import and erase contacts; edit attributes and segments "
    "(includes contacts:read)",
    "orders:read": "Read orders, products, product ranges and purchase figures",
    "orders:write": "Create, import and change orders and products (includes orders:read)",
    "chat": "Conversations, messages, attachments, canned replies, macros, teams and proactive invitations",
    "feedback:read": "Read surveys, reviews, complaints and referrals",
    "feedback:write": "Send surveys; record reviews, complaints and referrals (includes feedback:read)",
    "reports:read": "Read reports, analytics, predictions and customer-success figures",
    "reports:write": "Refit analytics; manage customer-success playbooks, tasks and settings (includes reports:read)",
    "help:read": "Read help center articles (drafts too), collections and revisions; search articles",
    "help:write": "Write, publish and withdraw help center articles and collections (includes help:read)",
    "admin": "The workspace, its agents, API keys, webhooks and connections; includes every other scope",
}

# The OpenAPI tag of a router (or of a route, where a router mixes several) -> the family it belongs to.
FAMILY_OF_TAG: dict[str, Family] = {
    "contacts": CONTACTS,
    "segments": CONTACTS,
    "commerce": ORDERS,
    "conversations": CHAT,
    "chat": CHAT,
    "attachments": CHAT,
    "canned replies": CHAT,
    "macros": CHAT,
    "proactive chat": CHAT,
    "surveys": FEEDBACK,
    "reviews": FEEDBACK,
    "complaints": FEEDBACK,
    "referrals": FEEDBACK,
    "feedback": FEEDBACK,
    "reports": REPORTS,
    "analytics": REPORTS,
    "success": REPORTS,
    "workspace": ADMIN,
    "webhooks": ADMIN,
    "connections": ADMIN,
    "help center": HELP,
}

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def family_of(tags: Iterable[str]) -> Family | None:
    """The family of an operation's tags: the first tag that has one (``public`` and the like have none)."""
    for tag in tags:
        family = FAMILY_OF_TAG.get(tag)
        if family is not None:
            return family
    return None


def needed_scope(tags: Iterable[str], method: str) -> str:
    """The scope an operation needs; ``admin`` for an operation whose tags name no family (see above)."""
    family = family_of(tags)
    if family is None:
        return ADMIN.write
    return family.read if method.upper() in READ_METHODS else family.write


def _implied(scope: str) -> set[str]:
    if scope == ADMIN.name:
        return set(SCOPES)
    if scope.endswith(":write"):
        return {scope, scope.removesuffix(":write") + ":read"}
    return {scope}


def granted(scopes: Collection[str] | None) -> frozenset[str]:
    """Every scope a key holds, the implied ones included (write implies read; admin implies all)."""
    if scopes is None:
        return frozenset(SCOPES)
    return frozenset(name for scope in scopes for name in _implied(scope))


def allows(scopes: Collection[str] | None, needed: str) -> bool:
    return needed in granted(scopes)


def normalise(scopes: Iterable[str]) -> list[str]:
    """Known scopes, once each, in catalogue order; ``ValueError`` naming the first unknown one."""
    given = list(scopes)
    for scope in given:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; known scopes: {', '.join(SCOPES)}")
    return [scope for scope in SCOPES if scope in given]
