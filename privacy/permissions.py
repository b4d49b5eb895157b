"""What can be done with a person's data (see core.permissions)."""

from django.utils.translation import gettext_lazy as _

from core.permissions import MANAGER, SALES, declare

# Sales may export the persons of the customers they may change (the owner's side, see
# privacy.access); managers any person they see.
EXPORT_PERSONAL_DATA = declare(
    "privacy.export_personal_data", _("Export a person's data"), roles=(SALES, MANAGER)
)
ERASE_PERSONAL_DATA = declare(
    "privacy.erase_personal_data", _("Erase a person's data"), roles=(MANAGER,)
)
