from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationshipsConfig(AppConfig):
    name = "relationships"
    verbose_name = _("Relationships")

    def ready(self):
        from . import search

        search.register()  # what the navigation bar's box finds (core.search)
        from core import lists
        from customers.permissions import VIEW_CUSTOMERS

        from .exports import contract_rows, invoice_rows
        from .permissions import VIEW_FINANCE

        lists.register(
            "invoices",
            url_name="relationships:invoice_list",
            label=_("Invoices"),
            permission=VIEW_FINANCE,
            build=invoice_rows,
        )
        lists.register(
            "contracts",
            url_name="relationships:contract_list",
            label=_("Contracts"),
            permission=VIEW_CUSTOMERS,
            build=contract_rows,
        )

        from django.db.models import Q

        from core import audit, personal_data, visibility
        from core.personal_data import ERASED

        from . import customer_page  # noqa: F401  (registers sections, timeline and history)
        from .models import (
            Asset,
            Contract,
            Document,
            Interaction,
            Invoice,
            Payment,
            Payout,
            Relationship,
        )

        # Finance sees the customers of every invoice (with its payments and collection case),
        # payout and contract (what is billed) even in team mode (core.visibility).
        for model in (Invoice, Payout, Contract):
            visibility.register_finance_records(model)
        audit.register(Relationship, select_related=["customer"])
        audit.register(Contract)
        audit.register(Invoice)
        audit.register(Payment)
        audit.register(Payout)

        # What a person's export holds and their erasure removes (privacy; README "Personal
        # data"). Contracts, invoices, payments and payouts are kept whole: accounting and tax
        # law require them (numbers, amounts, dates, references), and they hold no contact data.
        personal_data.register(
            "relationships", Relationship, customer="customer", erase={"end_note": ""}
        )
        personal_data.register(
            "interactions",
            Interaction,
            customer="customer",
            contact="contact_person",
            erase={"subject": ERASED, "notes": "", "outcome": ""},
            order_by=("occurred_at", "pk"),
        )
        personal_data.register(
            "contracts", Contract, customer="customer", erase={"termination_reason": ""}
        )
        personal_data.register("invoices", Invoice, customer="customer")
        personal_data.register("payments", Payment, customer="customer")
        personal_data.register("payouts", Payout, customer="customer")
        personal_data.register("assets", Asset, customer="customer", erase={"location": ""})
        # Documents of an invoice or a contract are financial records and stay; the others
        # (letters, scans of IDs, photos) are deleted with their files.
        personal_data.register(
            "documents",
            Document,
            customer="customer",
            file_field="file",
            delete_on_erase=True,
            erase_only=Q(invoice__isnull=True, contract__isnull=True),
        )
        from customers.merging import register_merge_hook

        from . import merging

        register_merge_hook(merging.hook)
