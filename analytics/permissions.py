"""What can be done with customer value and the manager reports (see core.permissions).
Everyone reads how customer value is computed (customers.view_customers); managers change it."""

from django.utils.translation import gettext_lazy as _

from core.permissions import MANAGER, declare

MANAGE_SCORING = declare(
    "analytics.manage_scoring", _("Change the scoring parameters"), roles=(MANAGER,)
)
VIEW_REPORTS = declare("analytics.view_reports", _("See reports and dashboards"), roles=(MANAGER,))
# The data quality template: what a complete customer record holds.
MANAGE_DATA_QUALITY = declare(
    "analytics.manage_data_quality", _("Change the data quality template"), roles=(MANAGER,)
)
