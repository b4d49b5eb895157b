from .intake import webform_post
from .webforms import (
    webform_activate,
    webform_create,
    webform_deactivate,
    webform_detail,
    webform_edit,
    webform_list,
    webform_rotate_token,
)
from .webhooks import (
    delivery_detail,
    delivery_redeliver,
    subscription_activate,
    subscription_create,
    subscription_deactivate,
    subscription_detail,
    subscription_edit,
    subscription_list,
    subscription_rotate_secret,
)

__all__ = [
    "delivery_detail",
    "delivery_redeliver",
    "subscription_activate",
    "subscription_create",
    "subscription_deactivate",
    "subscription_detail",
    "subscription_edit",
    "subscription_list",
    "subscription_rotate_secret",
    "webform_activate",
    "webform_create",
    "webform_deactivate",
    "webform_detail",
    "webform_edit",
    "webform_list",
    "webform_post",
    "webform_rotate_token",
]
