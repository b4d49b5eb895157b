"""What can be done with relationships, contracts, billing, payouts, equipment and documents
(see core.permissions)."""

from django.utils.translation import gettext_lazy as _

from core.permissions import ALL_ROLES, FINANCE, MANAGER, SALES, SERVICE, declare

LOG_INTERACTIONS = declare("relationships.log_interactions", _("Log interactions"), roles=ALL_ROLES)
START_RELATIONSHIP = declare(
    "relationships.start_relationship", _("Start relationships"), roles=(SALES, MANAGER)
)
END_RELATIONSHIP = declare(
    "relationships.end_relationship", _("End relationships"), roles=(MANAGER,)
)

CREATE_CONTRACTS = declare(
    "relationships.create_contracts", _("Create, edit and sign contracts"), roles=(SALES, MANAGER)
)
TERMINATE_CONTRACTS = declare(
    "relationships.terminate_contracts", _("Terminate contracts"), roles=(SALES, MANAGER)
)
VIEW_FINANCE = declare(
    "relationships.view_finance", _("See the invoice and payout lists"), roles=(FINANCE, MANAGER)
)
ISSUE_INVOICES = declare(
    "relationships.issue_invoices", _("Issue and edit invoices"), roles=(FINANCE, MANAGER)
)
REGISTER_PAYMENTS = declare(
    "relationships.register_payments", _("Register payments"), roles=(FINANCE, MANAGER)
)
WRITE_OFF = declare("relationships.write_off", _("Write invoices off"), roles=(FINANCE, MANAGER))
REQUEST_PAYOUTS = declare(
    "relationships.request_payouts", _("Request and edit payouts"), roles=ALL_ROLES
)
APPROVE_PAYOUTS = declare(
    "relationships.approve_payouts", _("Approve or reject payouts"), roles=(MANAGER,)
)
PAY_PAYOUTS = declare("relationships.pay_payouts", _("Mark payouts paid"), roles=(FINANCE, MANAGER))
# Past periods beyond BILLING_MAX_PERIODS_PER_RUN are billed only once one of these confirms.
CONFIRM_BACKBILLING = declare(
    "relationships.confirm_backbilling",
    _("Confirm billing of past periods"),
    roles=(SALES, FINANCE, MANAGER),
)
MANAGE_ASSETS = declare(
    "relationships.manage_assets", _("Record and edit equipment"), roles=(SERVICE, MANAGER)
)
UPLOAD_DOCUMENTS = declare("relationships.upload_documents", _("Upload documents"), roles=ALL_ROLES)
