from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from core import audit, events

        from .models import WebForm, WebhookSubscription
        from .services.deliveries import deliveries_record

        # Every domain event becomes a delivery to each subscription that asked for it.
        events.receiver(deliveries_record)
        audit.register(
            WebhookSubscription,
            exclude=["secret", "consecutive_failures", "disabled_at", "updated_at"],
        )
        audit.register(WebForm, exclude=["token", "updated_at"])
