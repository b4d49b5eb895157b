"""What can be done with the customer file (see core.permissions)."""

from django.utils.translation import gettext_lazy as _

from core.permissions import ALL_ROLES, MANAGER, SALES, SERVICE, declare

VIEW_CUSTOMERS = declare("customers.view_customers", _("See customers"), roles=ALL_ROLES)
EDIT_CUSTOMERS = declare(
    "customers.edit_customers", _("Record and edit customers"), roles=(SALES, MANAGER)
)
EDIT_CONTACTS = declare(
    "customers.edit_contacts", _("Add and edit contact persons"), roles=(SALES, SERVICE, MANAGER)
)
MERGE_CUSTOMERS = declare(
    "customers.merge_customers",
    _("Merge duplicate customers and contact persons (both must be theirs to change)"),
    roles=(SALES, MANAGER),
)
