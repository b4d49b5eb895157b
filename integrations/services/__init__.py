from .deliveries import (
    deliveries_record,
    deliveries_send_due,
    delivery_attempt,
    delivery_redeliver,
)
from .intake import Intake, webform_submit
from .subscriptions import (
    subscription_create,
    subscription_rotate_secret,
    subscription_set_active,
    subscription_update,
    webform_create,
    webform_rotate_token,
    webform_set_active,
    webform_update,
)

__all__ = [
    "Intake",
    "deliveries_record",
    "deliveries_send_due",
    "delivery_attempt",
    "delivery_redeliver",
    "subscription_create",
    "subscription_rotate_secret",
    "subscription_set_active",
    "subscription_update",
    "webform_create",
    "webform_rotate_token",
    "webform_set_active",
    "webform_submit",
    "webform_update",
]
