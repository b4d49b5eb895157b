"""What can be done with e-mail (see core.permissions)."""

from django.utils.translation import gettext_lazy as _

from core.permissions import MANAGER, SALES, declare

SEND_MAILINGS = declare(
    "mail.send_mailings",
    _("Prepare and send mailings to customers who consented"),
    roles=(SALES, MANAGER),
)
