from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from core import money

        from . import customer_page, signals  # noqa: F401  (register the header and receivers)
        from .selectors import current_rates

        money.register_rates_provider(current_rates)

        from core import audit

        from .models import ScoringParameters

        audit.register(ScoringParameters)

        from core import personal_data

        from .models import CustomerQuality, CustomerScore, GradeChange

        # A person's export includes how we rated them (privacy); the ratings hold no personal
        # text and are kept by an erasure, like the finances they are computed from.
        personal_data.register(
            "scores", CustomerScore, customer="customer", order_by=("customer", "pk")
        )
        personal_data.declare_impersonal(CustomerQuality)
        personal_data.declare_impersonal(GradeChange)
        from customers.merging import register_merge_hook

        from . import merging

        register_merge_hook(merging.hook)
