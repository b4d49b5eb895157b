"""The relationships app's pages, one module per concept; urls.py names them as `views.<name>`.

registration   the "New customer" page (customer_create): a customer with its relationship and
               first contact, which is why it lives here and not in customers
relationships  start, activate and end a relationship
interactions   log an interaction
contracts      contract list, page, create, edit, sign, terminate, confirm back-billing
invoices       invoice list, page, issue, edit, write off
payments       record a payment
payouts        payout queue, request, edit, approve, reject, pay
assets         the customer's equipment
documents      upload and the checked download
common         helpers the form pages share
"""

from .assets import asset_create, asset_edit
from .contracts import (
    contract_confirm_backbilling,
    contract_create,
    contract_detail,
    contract_edit,
    contract_list,
    contract_sign,
    contract_terminate,
)
from .documents import document_create, document_download
from .interactions import interaction_create
from .invoices import invoice_create, invoice_detail, invoice_edit, invoice_list, invoice_write_off
from .payments import payment_create
from .payouts import (
    payout_approve,
    payout_create,
    payout_edit,
    payout_list,
    payout_mark_paid,
    payout_reject,
)
from .registration import customer_create
from .relationships import relationship_activate, relationship_end, relationship_start

__all__ = [
    "asset_create",
    "asset_edit",
    "contract_confirm_backbilling",
    "contract_create",
    "contract_detail",
    "contract_edit",
    "contract_list",
    "contract_sign",
    "contract_terminate",
    "customer_create",
    "document_create",
    "document_download",
    "interaction_create",
    "invoice_create",
    "invoice_detail",
    "invoice_edit",
    "invoice_list",
    "invoice_write_off",
    "payment_create",
    "payout_approve",
    "payout_create",
    "payout_edit",
    "payout_list",
    "payout_mark_paid",
    "payout_reject",
    "relationship_activate",
    "relationship_end",
    "relationship_start",
]
