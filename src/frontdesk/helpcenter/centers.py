"""The help center's settings: title, language, public switch, custom domain, and the workspace's address."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.helpcenter import old_addresses, rendering
from frontdesk.helpcenter.models import LANGUAGES, HelpCenter, HelpTranslation
from frontdesk.helpcenter.slugs import SLUG, check_locale
from frontdesk.settings import get_settings
from frontdesk.workspaces.models import Workspace


async def get_help_center(*, session: AsyncSession, workspace_id: int) -> HelpCenter:
    """The workspace's settings; an unsaved row with the defaults when it has never changed them."""
    found = await session.get(HelpCenter, workspace_id)
    return found or HelpCenter(
        workspace_id=workspace_id,
        title="",
        intro="",
        default_locale="en",
        custom_domain=None,
        is_public=True,
        widget_suggestions=True,
    )


async def published_locales(*, session: AsyncSession, workspace_id: int) -> list[str]:
    """Languages with at least one published article, in LANGUAGES order."""
    found = set(
        await session.scalars(
            select(HelpTranslation.locale)
            .where(HelpTranslation.workspace_id == workspace_id, HelpTranslation.published_at.is_not(None))
            .distinct()
        )
    )
    return [locale for locale in LANGUAGES if locale in found]


HOST_NAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_WORKSPACE_SLUG = 60


def check_host_name(host: str, field: str = "custom_domain") -> str:
    """A lower-case DNS name with at least one dot (``help.example.com``); no scheme, port or path. Never the
    console's own host (``settings.public_url``), ``localhost`` or an IP address: a help center there would take
    over ``/`` (and the console) for everyone."""
    host = host.strip().lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost") or _is_ip_address(host):
        raise InvalidInput("a public host name such as help.example.com, not localhost or an address", field=field)
    if not HOST_NAME.fullmatch(host):
        raise InvalidInput("a host name such as help.example.com (no https://, port or path)", field=field)
    if host == (urlsplit(get_settings().public_url).hostname or "").lower().rstrip("."):
        raise InvalidInput(f"{host} is this Frontdesk's own address; use a host name of your own", field=field)
    return host


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def do_update_help_center(
    *,
    session: AsyncSession,
    workspace_id: int,
    title: str,
    intro: str,
    default_locale: str,
    is_public: bool,
    widget_suggestions: bool,
    custom_domain: str | None,
) -> HelpCenter:
    """Saves the settings (the row is created at the first save); a domain another workspace uses is a 409."""
    title, intro = title.strip(), intro.strip()
    if len(title) > 200:
        raise InvalidInput("a title is at most 200 characters", field="title")
    if len(intro) > 500:
        raise InvalidInput("an introduction is at most 500 characters", field="intro")
    check_locale(default_locale, "default_locale")
    domain = check_host_name(custom_domain) if custom_domain and custom_domain.strip() else None
    if domain is not None:
        taken = await session.scalar(
            select(HelpCenter.workspace_id).where(
                HelpCenter.custom_domain == domain, HelpCenter.workspace_id != workspace_id
            )
        )
        if taken is not None:
            raise Conflict(f"another help center uses {domain}", field="custom_domain")
    center = await session.get(HelpCenter, workspace_id)
    if center is None:
        center = HelpCenter(workspace_id=workspace_id)
        session.add(center)
    center.title, center.intro, center.default_locale = title, intro, default_locale
    center.is_public, center.widget_suggestions, center.custom_domain = is_public, widget_suggestions, domain
    await session.flush()
    return center


async def do_change_workspace_slug(*, session: AsyncSession, workspace_id: int, slug: str) -> Workspace:
    """The workspace's public address ``/help/SLUG``; published articles are rendered again for their links, and
    the old address answers with redirects to the new one (helpcenter.old_addresses)."""
    slug = slug.strip()
    if len(slug) > MAX_WORKSPACE_SLUG or not SLUG.fullmatch(slug):
        raise InvalidInput(
            "an address is lower-case letters, digits and single hyphens (e.g. acme-shop), at most 60",
            field="workspace_slug",
        )
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(f"workspace {workspace_id} not found", field="workspace")
    if slug == workspace.slug:
        return workspace
    taken = await session.scalar(select(Workspace.id).where(Workspace.slug == slug, Workspace.id != workspace_id))
    if taken is not None:
        raise Conflict(f"the address {slug!r} is taken", field="workspace_slug")
    old_slug, workspace.slug = workspace.slug, slug
    await session.flush()
    await old_addresses.do_workspace_slug_changed(session=session, workspace=workspace, old_slug=old_slug)
    await rendering.do_rerender_published(session=session, workspace_id=workspace_id)
    return workspace
