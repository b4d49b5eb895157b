"""Webhook subscriptions and web forms: created, changed, switched on and off, keys rotated."""

from django.db import transaction

from core.integrity import save_or_raise_validation

from ..models import WebForm, WebhookSubscription, new_form_token, new_secret


@transaction.atomic
def subscription_create(*, data: dict, owner) -> WebhookSubscription:
    subscription = WebhookSubscription(owner=owner, **data)
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_update(*, subscription: WebhookSubscription, data: dict) -> WebhookSubscription:
    for name, value in data.items():
        setattr(subscription, name, value)
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_set_active(
    *, subscription: WebhookSubscription, active: bool
) -> WebhookSubscription:
    """Switch a subscription on or off. Switching on starts its failure count afresh; the
    deliveries still pending while it was off are cancelled when their turn comes."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.active = active
    if active:
        subscription.consecutive_failures = 0
        subscription.disabled_at = None
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_rotate_secret(*, subscription: WebhookSubscription) -> WebhookSubscription:
    """A new signing secret; deliveries from now on are signed with it (retries included)."""
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription


@transaction.atomic
def webform_create(*, data: dict, by) -> WebForm:
    webform = WebForm(created_by=by, **data)
    webform.full_clean()
    save_or_raise_validation(webform)
    return webform


@transaction.atomic
def webform_update(*, webform: WebForm, data: dict) -> WebForm:
    for name, value in data.items():
        setattr(webform, name, value)
    webform.full_clean()
    save_or_raise_validation(webform)
    return webform


@transaction.atomic
def webform_set_active(*, webform: WebForm, active: bool) -> WebForm:
    webform.active = active
    webform.save(update_fields=["active", "updated_at"])
    return webform


@transaction.atomic
def webform_rotate_token(*, webform: WebForm) -> WebForm:
    """A new token: the website's form must be updated, the old token is refused from now on."""
    webform.token = new_form_token()
    webform.save(update_fields=["token", "updated_at"])
    return webform
