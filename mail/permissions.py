"""What can be done with e-mail (see core.permissions)."""

from django.utils.translation import gettext_lazy as _

from core.permissions import ALL_ROLES, MANAGER, SALES, SERVICE, declare

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

# Mailbox sync (mail.services.sync): shared mailboxes are the managers'; everyone may connect
# their own; the shared mailboxes' triage is for those who answer customers.
MANAGE_MAILBOXES = declare(
    "mail.manage_mailboxes", _("Connect and edit shared mailboxes"), roles=(MANAGER,)
)
CONNECT_OWN_MAILBOX = declare(
    "mail.connect_own_mailbox", _("Connect one's own mailbox"), roles=ALL_ROLES
)
TRIAGE_SHARED_MAIL = declare(
    "mail.triage_shared_mail",
    _("Sort the shared mailboxes' messages from unknown senders"),
    roles=(SALES, SERVICE, MANAGER),
)
