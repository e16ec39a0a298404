"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from frontdesk.contacts import models as contacts_models
from frontdesk.conversations import models as conversations_models
from frontdesk.workspaces import models as workspaces_models

__all__ = ["contacts_models", "conversations_models", "workspaces_models"]
