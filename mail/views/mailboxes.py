"""Mailbox pages: the shared mailboxes (managers) and one's own, the connection test, the
private addresses of one's own mailbox."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.permissions import can, permission_required
from core.views.helpers import render_object_form, run_service

from ..mailbox_access import get_mailbox_for_user, mailboxes_for
from ..mailbox_forms import MailboxForm, PrivateAddressForm
from ..models import EmailMessage, Mailbox, PrivateAddress
from ..permissions import CONNECT_OWN_MAILBOX, MANAGE_MAILBOXES
from ..services import sync

RECENT = 50


def _require_any(user):
    if not (can(user, MANAGE_MAILBOXES) or can(user, CONNECT_OWN_MAILBOX)):
        raise PermissionDenied


@login_required
def mailbox_list(request):
    _require_any(request.user)
    mailboxes = mailboxes_for(request.user).select_related("owner").order_by("kind", "name")
    return render(
        request,
        "mail/mailbox_list.html",
        {
            "mailboxes": mailboxes,
            "can_manage": can(request.user, MANAGE_MAILBOXES),
            "can_connect_own": can(request.user, CONNECT_OWN_MAILBOX),
            "private_addresses": PrivateAddress.objects.filter(owner=request.user),
            "private_form": PrivateAddressForm(),
        },
    )


def _mailbox_form(request, mailbox, *, title):
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data.get("password") or ""
        call = run_service(form, sync.mailbox_save, mailbox=form.instance, password=password)
        if call:
            messages.success(request, _("Mailbox saved. Test its connection to be sure."))
            return redirect("mail:mailbox_detail", call.result.pk)
    return render_object_form(
        request,
        form,
        title=title,
        submit=_("Save mailbox"),
        cancel_url=reverse("mail:mailbox_list"),
    )


@permission_required(MANAGE_MAILBOXES)
def mailbox_create_shared(request):
    mailbox = Mailbox(kind=Mailbox.Kind.SHARED, imap_port=993)
    return _mailbox_form(request, mailbox, title=_("Connect a shared mailbox"))


@permission_required(CONNECT_OWN_MAILBOX)
def mailbox_create_own(request):
    mailbox = Mailbox(
        kind=Mailbox.Kind.PERSONAL,
        owner=request.user,
        address=request.user.email,
        username=request.user.email,
        name=_("My mailbox"),
    )
    return _mailbox_form(request, mailbox, title=_("Connect my mailbox"))


@login_required
def mailbox_edit(request, pk):
    mailbox = get_mailbox_for_user(request, pk)
    return _mailbox_form(request, mailbox, title=_("Edit mailbox “%(name)s”") % {"name": mailbox})


@login_required
def mailbox_detail(request, pk):
    mailbox = get_mailbox_for_user(request, pk)
    counts = {
        row["status"]: row["n"]
        for row in EmailMessage.objects.filter(mailbox=mailbox)
        .values("status")
        .order_by()
        .annotate(n=Count("id"))
    }
    recent = (
        EmailMessage.objects.filter(mailbox=mailbox)
        .exclude(status=EmailMessage.Status.DISMISSED)
        .select_related("customer")
        .order_by("-occurred_at", "-id")[:RECENT]
    )
    return render(
        request,
        "mail/mailbox_detail.html",
        {
            "mailbox": mailbox,
            "recent": recent,
            "filed": counts.get(EmailMessage.Status.FILED, 0),
            "waiting": counts.get(EmailMessage.Status.TRIAGE, 0),
        },
    )


@require_POST
@login_required
def mailbox_test(request, pk):
    mailbox = get_mailbox_for_user(request, pk)
    error = sync.mailbox_test_connection(mailbox=mailbox)
    if error:
        messages.error(request, _("The connection failed: %(error)s") % {"error": error})
    else:
        messages.success(request, _("Connected: the CRM can log in and open the folder."))
    return redirect("mail:mailbox_detail", mailbox.pk)


@require_POST
@permission_required(CONNECT_OWN_MAILBOX)
def private_address_add(request):
    form = PrivateAddressForm(request.POST)
    if form.is_valid() and run_service(
        form, sync.private_address_add, owner=request.user, pattern=form.cleaned_data["pattern"]
    ):
        messages.success(request, _("Messages to and from it will never be filed."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("mail:mailbox_list")


@require_POST
@permission_required(CONNECT_OWN_MAILBOX)
def private_address_remove(request, pk):
    PrivateAddress.objects.filter(owner=request.user, pk=pk).delete()
    messages.success(request, _("Removed from your private addresses."))
    return redirect("mail:mailbox_list")
