"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests), and every
domain's ``personal_data`` module so that GDPR export, erasure and merge reach every domain's rows in any
process that loads this module (the app, the CLI, the tests).

A domain whose tables point at contacts must add its ``personal_data`` module here: export, erasure and merge
refuse to run while such a table has no registered owner (contacts.personal_data.require_complete).
"""

from frontdesk.commerce import models as commerce_models
from frontdesk.commerce import personal_data as commerce_personal_data
from frontdesk.complaints import models as complaints_models
from frontdesk.complaints import personal_data as complaints_personal_data
from frontdesk.connections import models as connections_models
from frontdesk.connections import personal_data as connections_personal_data
from frontdesk.contacts import models as contacts_models
from frontdesk.conversations import models as conversations_models
from frontdesk.conversations import personal_data as conversations_personal_data
from frontdesk.feedback import models as feedback_models
from frontdesk.feedback import personal_data as feedback_personal_data
from frontdesk.helpcenter import models as helpcenter_models
from frontdesk.helpcenter import personal_data as helpcenter_personal_data
from frontdesk.referrals import models as referrals_models
from frontdesk.referrals import personal_data as referrals_personal_data
from frontdesk.reviews import models as reviews_models
from frontdesk.reviews import personal_data as reviews_personal_data
from frontdesk.scheduling import models as scheduling_models
from frontdesk.segments import models as segments_models
from frontdesk.success import models as success_models
from frontdesk.success import personal_data as success_personal_data
from frontdesk.surveys import models as surveys_models
from frontdesk.surveys import personal_data as surveys_personal_data
from frontdesk.webhooks import models as webhooks_models
from frontdesk.webhooks import personal_data as webhooks_personal_data
from frontdesk.workspaces import models as workspaces_models

__all__ = [
    "commerce_models",
    "commerce_personal_data",
    "complaints_models",
    "complaints_personal_data",
    "connections_models",
    "connections_personal_data",
    "contacts_models",
    "conversations_models",
    "conversations_personal_data",
    "feedback_models",
    "feedback_personal_data",
    "helpcenter_models",
    "helpcenter_personal_data",
    "referrals_models",
    "referrals_personal_data",
    "reviews_models",
    "reviews_personal_data",
    "scheduling_models",
    "segments_models",
    "success_models",
    "success_personal_data",
    "surveys_models",
    "surveys_personal_data",
    "webhooks_models",
    "webhooks_personal_data",
    "workspaces_models",
]
