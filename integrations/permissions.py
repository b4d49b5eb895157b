"""What can be done with the integrations (see core.permissions)."""

from django.utils.translation import gettext_lazy as _

from core.permissions import MANAGER, declare

# Webhooks carry full payloads of every customer's events, and web forms create customers from
# the public internet: both are set up by managers (and superusers), who see every record.
MANAGE_INTEGRATIONS = declare(
    "integrations.manage_integrations",
    _("Manage webhooks and web forms"),
    roles=(MANAGER,),
)
