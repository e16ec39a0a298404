"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from frontdesk.commerce import models as commerce_models
from frontdesk.contacts import models as contacts_models
from frontdesk.conversations import models as conversations_models
from frontdesk.segments import models as segments_models
from frontdesk.workspaces import models as workspaces_models

__all__ = ["commerce_models", "contacts_models", "conversations_models", "segments_models", "workspaces_models"]
