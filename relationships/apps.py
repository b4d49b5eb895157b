from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationshipsConfig(AppConfig):
    name = "relationships"
    verbose_name = _("Relationships")

    def ready(self):
        from core import audit, visibility

        from . import customer_page  # noqa: F401  (registers sections, timeline and history)
        from .models import Contract, Invoice, Payment, Payout, Relationship

        # Finance sees the customers of every invoice (with its payments and collection case),
        # payout and contract (what is billed) even in team mode (core.visibility).
        for model in (Invoice, Payout, Contract):
            visibility.register_finance_records(model)
        audit.register(Relationship, select_related=["customer"])
        audit.register(Contract)
        audit.register(Invoice)
        audit.register(Payment)
        audit.register(Payout)

        from customers.merging import register_merge_hook

        from . import merging

        register_merge_hook(merging.hook)
