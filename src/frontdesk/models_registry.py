"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from frontdesk.commerce import models as commerce_models
from frontdesk.complaints import models as complaints_models
from frontdesk.contacts import models as contacts_models
from frontdesk.conversations import models as conversations_models
from frontdesk.feedback import models as feedback_models
from frontdesk.referrals import models as referrals_models
from frontdesk.reviews import models as reviews_models
from frontdesk.scheduling import models as scheduling_models
from frontdesk.segments import models as segments_models
from frontdesk.surveys import models as surveys_models
from frontdesk.workspaces import models as workspaces_models

__all__ = [
    "commerce_models",
    "complaints_models",
    "contacts_models",
    "conversations_models",
    "feedback_models",
    "referrals_models",
    "reviews_models",
    "scheduling_models",
    "segments_models",
    "surveys_models",
    "workspaces_models",
]
