"""The ``frontdesk`` command: serve, migrate, create workspaces, load demo data, import contacts and orders.

This module only assembles the command; each group of commands lives in its own module of this package.
"""

from __future__ import annotations

import typer

from frontdesk.cli.analytics import analytics_app
from frontdesk.cli.import_export import contacts_app, orders_app
from frontdesk.cli.server import demo, migrate_command, serve
from frontdesk.cli.workspaces import workspace_app

# No local variables in tracebacks: they would print settings and URLs with their passwords.
app = typer.Typer(
    help="Frontdesk: a self-hosted customer platform.", no_args_is_help=True, pretty_exceptions_show_locals=False
)
app.command()(serve)
app.command("migrate")(migrate_command)
app.command()(demo)
app.add_typer(workspace_app, name="workspace")
app.add_typer(contacts_app, name="contacts")
app.add_typer(orders_app, name="orders")
app.add_typer(analytics_app, name="analytics")
