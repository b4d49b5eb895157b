"""Who may import what (see core.permissions)."""

from django.utils.translation import gettext_lazy as _

from core.permissions import FINANCE, MANAGER, SALES, declare

IMPORT_CUSTOMERS = declare(
    "imports.import_customers",
    _("Import customers and contact persons"),
    roles=(SALES, MANAGER),
)
IMPORT_FINANCE = declare(
    "imports.import_finance",
    _("Import contracts, invoices and payments"),
    roles=(FINANCE, MANAGER),
)
