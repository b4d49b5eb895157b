"""Writes that span models, one module per concept; every public name is importable from
`relationships.services` as before the split.

registration   customer_register: a new customer with its relationship and first contact
relationships  the relationship lifecycle: start, activate, end
interactions   the contact log
contracts      contracts: create, edit, sign, terminate, expire
billing        recurring billing and held back-billing
invoices       invoices: issue, edit, move to another customer, write off
payments       payments against an invoice
payouts        payouts: request, edit, approve or reject, pay
assets         the customer's equipment
documents      uploads checked by their bytes
"""

from .assets import ASSET_EDITABLE_FIELDS, ASSET_SERIAL_BESIDE, asset_create, asset_update
from .billing import (
    PERIOD_MONTHS,
    Backbilling,
    billing_periods,
    contract_backbilling,
    contract_confirm_backbilling,
    contracts_bill_recurring,
    unbilled_periods,
)
from .contracts import (
    CONTRACT_EDITABLE_FIELDS,
    contract_create,
    contract_sign,
    contract_terminate,
    contract_update,
    contracts_expire,
)
from .documents import TEXT_PROBLEMS, document_file_check, document_upload
from .interactions import interaction_log
from .invoices import (
    INVOICE_EDITABLE_FIELDS,
    invoice_create,
    invoice_move,
    invoice_update,
    invoice_write_off,
)
from .payments import payment_check, payment_register
from .payouts import (
    PAYOUT_EDITABLE_FIELDS,
    payout_approve,
    payout_mark_paid,
    payout_reject,
    payout_request,
    payout_update,
)
from .registration import customer_register
from .relationships import relationship_activate, relationship_end, relationship_start

__all__ = [
    "ASSET_EDITABLE_FIELDS",
    "ASSET_SERIAL_BESIDE",
    "CONTRACT_EDITABLE_FIELDS",
    "INVOICE_EDITABLE_FIELDS",
    "PAYOUT_EDITABLE_FIELDS",
    "PERIOD_MONTHS",
    "TEXT_PROBLEMS",
    "Backbilling",
    "asset_create",
    "asset_update",
    "billing_periods",
    "contract_backbilling",
    "contract_confirm_backbilling",
    "contract_create",
    "contract_sign",
    "contract_terminate",
    "contract_update",
    "contracts_bill_recurring",
    "contracts_expire",
    "customer_register",
    "document_file_check",
    "document_upload",
    "interaction_log",
    "invoice_create",
    "invoice_move",
    "invoice_update",
    "invoice_write_off",
    "payment_check",
    "payment_register",
    "payout_approve",
    "payout_mark_paid",
    "payout_reject",
    "payout_request",
    "payout_update",
    "relationship_activate",
    "relationship_end",
    "relationship_start",
    "unbilled_periods",
]
