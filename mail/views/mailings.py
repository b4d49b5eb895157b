"""Mailings: the list, a draft's form and preview, sending, the progress and the report."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.permissions import can, permission_required
from core.views.helpers import paginate, render_object_form, run_action, run_service

from ..mailing_forms import MailingForm
from ..models import Mailing, MailingRecipient
from ..permissions import SEND_MAILINGS
from ..services import mailings as services

PAGE_SIZE = 50


def get_mailing_for_user(request, pk) -> Mailing:
    """A mailing, for those who may send mailings (who receives it is decided per customer by
    the access layer when it is sent)."""
    if not can(request.user, SEND_MAILINGS):
        raise PermissionDenied
    return get_object_or_404(
        Mailing.objects.select_related("purpose", "template", "segment", "campaign", "sent_by"),
        pk=pk,
    )


@permission_required(SEND_MAILINGS)
def mailing_list(request):
    mailings = (
        Mailing.objects.select_related("purpose", "segment", "campaign")
        .annotate(
            n=Count("recipients"),
            n_sent=Count("recipients", filter=Q(recipients__status="sent")),
            n_failed=Count("recipients", filter=Q(recipients__status__in=["failed", "bounced"])),
            n_unsubscribed=Count("recipients", filter=Q(recipients__status="unsubscribed")),
        )
        .order_by("-created_at", "-id")
    )
    page, query = paginate(request, mailings, PAGE_SIZE)
    return render(request, "mail/mailing_list.html", {"page": page, "query": query})


def _form_page(request, form, *, title, mailing=None):
    return render_object_form(
        request,
        form,
        title=title,
        submit=_("Save and preview"),
        cancel_url=mailing.get_absolute_url() if mailing else reverse("mail:mailing_list"),
    )


@permission_required(SEND_MAILINGS)
def mailing_create(request):
    form = MailingForm(request.POST or None, initial={"customer_filter": request.GET.get("q", "")})
    if (
        request.method == "POST"
        and form.is_valid()
        and (
            call := run_service(form, services.mailing_save, mailing=form.instance, by=request.user)
        )
    ):
        return redirect(call.result)
    return _form_page(request, form, title=_("New mailing"))


@permission_required(SEND_MAILINGS)
def mailing_edit(request, pk):
    mailing = get_mailing_for_user(request, pk)
    if mailing.status != Mailing.Status.DRAFT:
        messages.error(request, _("This mailing is already being sent; it cannot be changed."))
        return redirect(mailing)
    form = MailingForm(request.POST or None, instance=mailing)
    if (
        request.method == "POST"
        and form.is_valid()
        and (call := run_service(form, services.mailing_save, mailing=mailing, by=request.user))
    ):
        return redirect(call.result)
    return _form_page(request, form, title=_("Change mailing"), mailing=mailing)


def _report(request, mailing):
    recipients = (
        MailingRecipient.objects.filter(mailing=mailing)
        .visible_to(request.user)
        .select_related("customer", "contact")
        .order_by("id")
    )
    status = request.GET.get("status", "")
    if status in MailingRecipient.Status.values:
        recipients = recipients.filter(status=status)
    page, query = paginate(request, recipients, PAGE_SIZE)
    return {
        "counts": mailing.recipient_counts(),
        "page": page,
        "query": query,
        "status": status,
        "statuses": MailingRecipient.Status.choices,
    }


@permission_required(SEND_MAILINGS)
def mailing_detail(request, pk):
    mailing = get_mailing_for_user(request, pk)
    context = {"mailing": mailing}
    if mailing.status == Mailing.Status.DRAFT:
        context["preview"] = services.mailing_preview(mailing=mailing, by=request.user)
    else:
        context.update(_report(request, mailing))
    if request.htmx and mailing.status != Mailing.Status.DRAFT:
        return render(request, "mail/mailing_progress.html", context)
    return render(request, "mail/mailing_detail.html", context)


@require_POST
@permission_required(SEND_MAILINGS)
def mailing_send(request, pk):
    mailing = get_mailing_for_user(request, pk)
    if call := run_action(request, services.mailing_send, mailing=mailing, by=request.user):
        messages.success(
            request,
            ngettext(
                "The mailing is being sent to %(n)s person.",
                "The mailing is being sent to %(n)s people.",
                call.result,
            )
            % {"n": call.result},
        )
    return redirect(mailing)
