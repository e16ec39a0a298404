"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk import (
    __version__,
    models_registry,  # noqa: F401  (every table, and every domain's personal-data hooks, in this process)
)
from frontdesk.commerce import api as commerce_api
from frontdesk.commerce.housekeeping import run_analytics_refresh
from frontdesk.complaints import api as complaints_api
from frontdesk.complaints import pages as complaints_pages
from frontdesk.connections import api as connections_api
from frontdesk.connections import inbound as connections_inbound
from frontdesk.connections import pages as connections_pages
from frontdesk.connections.housekeeping import run_connections_housekeeping
from frontdesk.contacts import api as contacts_api
from frontdesk.contacts import pages as contacts_pages
from frontdesk.contacts import personal_data
from frontdesk.conversations import api as conversations_api
from frontdesk.conversations import api_setup as conversations_api_setup
from frontdesk.conversations import attachment_routes as conversations_attachments
from frontdesk.conversations import attachments as conversations_attachment_files
from frontdesk.conversations import identity_pages as conversations_identity
from frontdesk.conversations import pages as conversations_pages
from frontdesk.conversations import setup_pages as conversations_setup_pages
from frontdesk.conversations import sockets as conversations_sockets
from frontdesk.conversations.housekeeping import run_housekeeping
from frontdesk.conversations.writer import MessageWriter
from frontdesk.db import Base, create_engine, create_session_factory
from frontdesk.deps import refuse_unknown_query
from frontdesk.errors import install_problem_handlers
from frontdesk.feedback import api as feedback_api
from frontdesk.feedback.mail import run_mail_sender
from frontdesk.guard import InputGuard
from frontdesk.helpcenter import api as helpcenter_api
from frontdesk.helpcenter import api_collections as helpcenter_api_collections
from frontdesk.helpcenter import inbox as helpcenter_inbox
from frontdesk.helpcenter import pages as helpcenter_pages
from frontdesk.helpcenter import public as helpcenter_public
from frontdesk.helpcenter import public_api as helpcenter_public_api
from frontdesk.helpcenter import report_pages as helpcenter_report_pages
from frontdesk.helpcenter import widget as helpcenter_widget
from frontdesk.middleware import install_middleware
from frontdesk.openapi import install_openapi
from frontdesk.realtime.broker import create_broker
from frontdesk.realtime.ratelimit import AppLimits
from frontdesk.referrals import api as referrals_api
from frontdesk.referrals import pages as referrals_pages
from frontdesk.reports import api as reports_api
from frontdesk.reports import pages as reports_pages
from frontdesk.reviews import api as reviews_api
from frontdesk.reviews import pages as reviews_pages
from frontdesk.reviews import public as reviews_public
from frontdesk.segments import api as segments_api
from frontdesk.segments import pages as segments_pages
from frontdesk.settings import Settings, get_settings
from frontdesk.storage import configure as configure_storage
from frontdesk.storage import storage_from_settings
from frontdesk.success import api_calibration as success_api_calibration
from frontdesk.success import api_clv as success_api_clv
from frontdesk.success import api_health as success_api_health
from frontdesk.success import api_tasks as success_api_tasks
from frontdesk.success import calibration_pages as success_calibration_pages
from frontdesk.success import pages as success_pages
from frontdesk.surveys import api as surveys_api
from frontdesk.surveys import pages as surveys_pages
from frontdesk.surveys import public as surveys_public
from frontdesk.web import api_docs
from frontdesk.web.console import error_page, install_console_handlers
from frontdesk.webhooks import api as webhooks_api
from frontdesk.webhooks import pages as webhooks_pages
from frontdesk.webhooks.dispatcher import run_dispatcher
from frontdesk.webhooks.openapi_docs import install_webhook_docs
from frontdesk.widget import routes as widget_routes
from frontdesk.workspaces import api as workspaces_api
from frontdesk.workspaces import pages as workspaces_pages
from frontdesk.workspaces import preferences as workspaces_preferences

STATIC_DIR = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> FastAPI:
    settings = settings or get_settings()
    # A table that points at contacts without a domain answering for it would survive erasure: refuse to start.
    personal_data.require_complete(Base.metadata)
    owns_engine = engine is None
    engine = engine or create_engine(settings.database_url, single_sqlite_writer=True)

    broker = create_broker(settings.redis_url, settings.redis_channel_prefix)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        # Long-lived startup objects leave the collector's view, and young collections run less often:
        # with thousands of sockets the default thresholds pause the loop often enough to show in p99 latency.
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        background = [asyncio.create_task(run_housekeeping(app.state.session_factory, broker))]
        if settings.analytics_refresh_hours > 0:
            refresh = run_analytics_refresh(app.state.session_factory, settings.analytics_refresh_hours)
            background.append(asyncio.create_task(refresh))
        background.append(asyncio.create_task(run_connections_housekeeping(app.state.session_factory)))
        if settings.webhook_dispatcher:
            background.append(asyncio.create_task(run_dispatcher(app.state.session_factory, settings)))
        if settings.smtp_url:
            background.append(asyncio.create_task(run_mail_sender(app.state.session_factory, settings)))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.message_writer.close()
            await broker.close()
            if owns_engine:
                await engine.dispose()

    app = FastAPI(
        title="Frontdesk",
        version=__version__,
        description="Customer registry, live chat and customer success. Authenticate with "
        "`Authorization: Bearer KEY` (an API key of your workspace). Errors are `application/problem+json`.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # web/api_docs.py serves Swagger UI from vendored files, not a CDN
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(refuse_unknown_query)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = create_session_factory(engine)
    # Attachments' bytes: the app's backend, also for code that has only a session (erasure, see storage.registry).
    app.state.storage = storage_from_settings(settings)
    configure_storage(app.state.storage)
    conversations_attachment_files.configure_signing(settings.secret_key)
    app.state.broker = broker
    app.state.rate_limits = limits = AppLimits.from_settings(settings)
    app.state.chat_limits = widget_routes.ChatLimits(visitor=limits.visitor_messages, ip=limits.ip_requests)
    app.state.message_writer = MessageWriter(app.state.session_factory, broker)
    install_problem_handlers(app, html_page=error_page)
    install_openapi(app)
    install_webhook_docs(app)
    # Added first, so it runs inside the rate limit and the security headers: its refusals carry them too.
    app.add_middleware(InputGuard)
    install_middleware(app, settings, api_limit=limits.api_requests, public_limit=limits.ip_requests)
    install_console_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(workspaces_api.router)
    app.include_router(contacts_api.router)
    app.include_router(commerce_api.router)
    app.include_router(segments_api.router)
    app.include_router(segments_pages.router)
    app.include_router(success_api_clv.router)
    app.include_router(success_api_calibration.router)
    app.include_router(success_calibration_pages.router)
    app.include_router(success_api_health.router)
    app.include_router(success_api_tasks.router)
    app.include_router(success_pages.router)
    app.include_router(workspaces_pages.router)
    app.include_router(contacts_pages.router)
    app.include_router(conversations_api.router)
    app.include_router(conversations_pages.router)
    app.include_router(conversations_setup_pages.router)
    app.include_router(conversations_api_setup.router)
    app.include_router(conversations_attachments.router)
    app.include_router(workspaces_preferences.router)
    app.include_router(conversations_identity.router)
    app.include_router(conversations_sockets.router)
    app.include_router(widget_routes.router)
    app.include_router(surveys_api.router)
    app.include_router(surveys_public.router)
    app.include_router(reviews_api.router)
    app.include_router(reviews_public.router)
    app.include_router(complaints_api.router)
    app.include_router(feedback_api.router)
    app.include_router(referrals_api.router)
    app.include_router(reports_api.router)
    app.include_router(reports_pages.router)
    app.include_router(api_docs.router)
    app.include_router(webhooks_api.router)
    app.include_router(webhooks_pages.router)
    app.include_router(connections_api.router)
    app.include_router(connections_pages.router)
    app.include_router(connections_inbound.router)
    app.include_router(helpcenter_api_collections.router)
    app.include_router(helpcenter_api.router)
    app.include_router(helpcenter_public_api.router)
    for help_routes in (helpcenter_pages, helpcenter_inbox, helpcenter_report_pages, helpcenter_widget):
        app.include_router(help_routes.router)
    # Last: its custom-domain routes answer at the root of a help center's own host name.
    app.include_router(helpcenter_public.router)
    for console_pages in (surveys_pages, reviews_pages, complaints_pages, referrals_pages):
        app.include_router(console_pages.router)

    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
