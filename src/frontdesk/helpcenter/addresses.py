"""Where a workspace's help center answers to the public: its custom domain when it has one, else ``/help/SLUG``
on the host the request came to. Every public article URL (canonical links, the sitemap, the inbox's links, the
API's ``url`` fields, the widget's "open in a new tab") is built here, so they all agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from frontdesk.helpcenter.models import HelpCenter
from frontdesk.workspaces.models import Workspace


@dataclass(frozen=True)
class Site:
    """Where a help center answers: ``origin`` + ``root`` ("/help/acme", or "" on its custom domain)."""

    origin: str
    root: str

    def path(self, *parts: str) -> str:
        return self.root + "/" + "/".join(parts) if parts else (self.root or "/")

    def home(self, locale: str) -> str:
        return self.path(locale)

    def article(self, locale: str, slug: str) -> str:
        return self.path(locale, "articles", slug)

    def collection(self, locale: str, slug: str) -> str:
        return self.path(locale, "collections", slug)

    def search(self, locale: str) -> str:
        return self.path(locale, "search")

    def absolute(self, path: str) -> str:
        return self.origin + path

    def article_url(self, locale: str, slug: str) -> str:
        return self.absolute(self.article(locale, slug))


def on_host(base_url: str, workspace_slug: str) -> Site:
    """``/help/SLUG`` on the host of ``base_url`` (the request's)."""
    return Site(origin=base_url.rstrip("/"), root=f"/help/{workspace_slug}")


def on_domain(base_url: str, domain: str) -> Site:
    """The root of a custom domain, reached with the scheme the deployment serves (the request's)."""
    scheme = urlsplit(base_url).scheme or "https"
    return Site(origin=f"{scheme}://{domain}", root="")


def public_site(base_url: str, workspace_slug: str, custom_domain: str | None) -> Site:
    """The help center's public (canonical) address: its custom domain when set, else ``/help/SLUG``."""
    return on_domain(base_url, custom_domain) if custom_domain else on_host(base_url, workspace_slug)


async def workspace_site(request: Request, session: AsyncSession, workspace_id: int) -> Site:
    """``public_site`` of a workspace, read from the database."""
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None  # the caller's own workspace
    center = await session.get(HelpCenter, workspace_id)
    return public_site(str(request.base_url), workspace.slug, center.custom_domain if center else None)


async def article_url(request: Request, session: AsyncSession, workspace_id: int, locale: str, slug: str) -> str:
    """An article's public absolute URL."""
    return (await workspace_site(request, session, workspace_id)).article_url(locale, slug)
