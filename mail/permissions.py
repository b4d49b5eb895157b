"""What can be done with e-mail (see core.permissions)."""

from django.utils.translation import gettext_lazy as _

from core.permissions import ALL_ROLES, MANAGER, SALES, SERVICE, declare

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
