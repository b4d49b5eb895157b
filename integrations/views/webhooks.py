"""The managers' webhook pages: subscriptions, their delivery log, redelivery."""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import permission_required
from core.views.helpers import paginate, render_object_form, run_action, run_service

from .. import services
from ..access import get_delivery_for_user, get_subscription_for_user
from ..forms import SubscriptionForm
from ..models import WebhookSubscription
from ..permissions import MANAGE_INTEGRATIONS

LOG_PAGE_SIZE = 25


@permission_required(MANAGE_INTEGRATIONS)
def subscription_list(request):
    subscriptions = WebhookSubscription.objects.select_related("owner").order_by("-active", "name")
    return render(request, "integrations/subscription_list.html", {"subscriptions": subscriptions})


@permission_required(MANAGE_INTEGRATIONS)
def subscription_create(request):
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        call = run_service(
            form, services.subscription_create, data=form.cleaned_data, owner=request.user
        )
        if call:
            messages.success(
                request, _("Subscription saved. Give its signing secret to the receiver.")
            )
            return redirect(call.result)
    return render_object_form(
        request,
        form,
        title=_("New webhook subscription"),
        submit=_("Save subscription"),
        cancel_url=reverse("integrations:subscription_list"),
    )


@permission_required(MANAGE_INTEGRATIONS)
def subscription_edit(request, pk):
    subscription = get_subscription_for_user(request, pk)
    form = SubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if run_service(form, services.subscription_update, subscription=subscription, data=data):
            messages.success(request, _("Subscription saved."))
            return redirect(subscription)
    return render_object_form(
        request,
        form,
        title=_("Edit webhook “%(name)s”") % {"name": subscription.name},
        submit=_("Save subscription"),
        cancel_url=subscription.get_absolute_url(),
    )


@permission_required(MANAGE_INTEGRATIONS)
def subscription_detail(request, pk):
    subscription = get_subscription_for_user(request, pk)
    deliveries = subscription.deliveries.order_by("-created_at", "-id")
    page, query = paginate(request, deliveries, LOG_PAGE_SIZE)
    return render(
        request,
        "integrations/subscription_detail.html",
        {
            "subscription": subscription,
            "page": page,
            "query": query,
            # The secret is its owner's to hand to the receiver; other managers may rotate it.
            "shows_secret": subscription.owner_id == request.user.pk,
        },
    )


def _set_active(request, pk, *, active):
    subscription = get_subscription_for_user(request, pk)
    services.subscription_set_active(subscription=subscription, active=active)
    messages.success(
        request,
        _("The subscription is active.") if active else _("The subscription is switched off."),
    )
    return redirect(subscription)


@require_POST
@permission_required(MANAGE_INTEGRATIONS)
def subscription_activate(request, pk):
    return _set_active(request, pk, active=True)


@require_POST
@permission_required(MANAGE_INTEGRATIONS)
def subscription_deactivate(request, pk):
    return _set_active(request, pk, active=False)


@require_POST
@permission_required(MANAGE_INTEGRATIONS)
def subscription_rotate_secret(request, pk):
    subscription = get_subscription_for_user(request, pk)
    services.subscription_rotate_secret(subscription=subscription)
    messages.success(request, _("A new signing secret is in force: give it to the receiver now."))
    return redirect(subscription)


@permission_required(MANAGE_INTEGRATIONS)
def delivery_detail(request, pk):
    delivery = get_delivery_for_user(request, pk)
    return render(
        request,
        "integrations/delivery_detail.html",
        {
            "delivery": delivery,
            "attempts": delivery.attempt_log.order_by("number"),
            "payload_text": json.dumps(delivery.payload, indent=2, ensure_ascii=False),
        },
    )


@require_POST
@permission_required(MANAGE_INTEGRATIONS)
def delivery_redeliver(request, pk):
    delivery = get_delivery_for_user(request, pk)
    if call := run_action(request, services.delivery_redeliver, delivery=delivery):
        messages.success(request, _("Queued again as a new delivery."))
        return redirect("integrations:delivery_detail", call.result.pk)
    return redirect(delivery.subscription)
