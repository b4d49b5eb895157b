"""The relationships app's models, one module per concept; every public name is importable from
`relationships.models` as before the split.

relationships  Relationship (the lifecycle from first contact to a conscious end)
interactions   Interaction (the contact log)
contracts      Contract
invoices       Invoice, its derived status and currency totals
payments       Payment
payouts        Payout
assets         Asset (the customer's equipment)
documents      Document (files kept with a customer)
checks         the same-customer check that invoices, assets and documents share
"""

from .assets import Asset
from .contracts import Contract, ContractQuerySet
from .documents import Document, document_upload_to
from .interactions import Interaction
from .invoices import Invoice, InvoiceQuerySet, currency_totals
from .payments import Payment
from .payouts import Payout, PayoutQuerySet
from .relationships import Relationship, RelationshipQuerySet

__all__ = [
    "Asset",
    "Contract",
    "ContractQuerySet",
    "Document",
    "Interaction",
    "Invoice",
    "InvoiceQuerySet",
    "Payment",
    "Payout",
    "PayoutQuerySet",
    "Relationship",
    "RelationshipQuerySet",
    "currency_totals",
    "document_upload_to",  # named by migration 0002
]
