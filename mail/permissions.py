"""What can be done with e-mail (see core.permissions)."""

from django.utils.translation import gettext_lazy as _

from core.permissions import ALL_ROLES, MANAGER, SALES, declare

# Writing to a customer's contact persons from the CRM; the customer must be one the user may
# change (the owner's side), as for logging an interaction.
SEND_EMAIL = declare("mail.send_email", _("Write e-mails to customers"), roles=ALL_ROLES)
MANAGE_TEMPLATES = declare(
    "mail.manage_templates", _("Write and edit e-mail templates"), roles=(MANAGER,)
)
SEND_MAILINGS = declare(
    "mail.send_mailings",
    _("Prepare and send mailings to customers who consented"),
    roles=(SALES, MANAGER),
)
