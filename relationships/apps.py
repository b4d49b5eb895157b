from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationshipsConfig(AppConfig):
    name = "relationships"
    verbose_name = _("Relationships")

    def ready(self):
        from core import audit

        from . import customer_page  # noqa: F401  (registers sections, timeline and history)
        from .models import Contract, Invoice, Payment, Payout, Relationship

        audit.register(Relationship, select_related=["customer"])
        audit.register(Contract)
        audit.register(Invoice)
        audit.register(Payment)
        audit.register(Payout)
