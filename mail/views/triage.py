"""Triage: the synced messages from unknown senders, newest first, per mailbox; one click makes
the sender a new customer (the message its first contact), attaches the message to an existing
customer, dismisses it, or makes it private."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import visibility
from core.permissions import can
from core.views.helpers import apply_service_errors, paginate, run_action
from customers.access import get_customer_for_user
from customers.models import Customer
from customers.permissions import EDIT_CUSTOMERS
from customers.services import PossibleDuplicate
from relationships.permissions import LOG_INTERACTIONS

from ..mailbox_access import (
    get_synced_message_for_user,
    get_triage_message_for_user,
    triage_mailboxes_for,
    triage_messages_for,
)
from ..mailbox_forms import CustomerSearchForm, TriageCustomerForm
from ..permissions import CONNECT_OWN_MAILBOX, TRIAGE_SHARED_MAIL
from ..services import filing

PAGE_SIZE = 25
PICKER_SIZE = 10


def _require_any(user):
    if not (can(user, TRIAGE_SHARED_MAIL) or can(user, CONNECT_OWN_MAILBOX)):
        raise PermissionDenied


def _may_create_customer(user) -> bool:
    """Asked by triage_create_customer, and by the pages before they offer it."""
    return can(user, EDIT_CUSTOMERS)


@login_required
def triage_list(request):
    _require_any(request.user)
    mailboxes = triage_mailboxes_for(request.user).order_by("kind", "name")
    rows = (
        triage_messages_for(request.user).select_related("mailbox").order_by("-occurred_at", "-id")
    )
    chosen = request.GET.get("mailbox", "")
    if chosen.isascii() and chosen.isdigit() and len(chosen) < 12:
        rows = rows.filter(mailbox_id=int(chosen))
    page, query = paginate(request, rows, PAGE_SIZE)
    return render(
        request,
        "mail/triage_list.html",
        {
            "page": page,
            "query": query,
            "mailboxes": mailboxes,
            "chosen": chosen,
            "can_create": _may_create_customer(request.user),
        },
    )


def _suggested_name(message) -> str:
    return message.from_name or message.from_address.partition("@")[2] or message.from_address


@login_required
def triage_detail(request, pk):
    message = get_triage_message_for_user(request, pk)
    search = CustomerSearchForm(request.GET or None)
    matches = []
    if search.is_valid() and search.cleaned_data["q"]:
        matches = list(
            Customer.objects.current()
            .editable_by(request.user)
            .search(search.cleaned_data["q"])
            .order_by("display_name", "id")[:PICKER_SIZE]
        )
    form = TriageCustomerForm(
        initial={"kind": Customer.Kind.PERSON, "display_name": _suggested_name(message)[:200]}
    )
    return _render_detail(request, message, form=form, search=search, matches=matches)


def _render_detail(request, message, *, form, search=None, matches=(), duplicates=()):
    return render(
        request,
        "mail/triage_detail.html",
        {
            "message": message,
            "form": form,
            "search": search or CustomerSearchForm(),
            "matches": matches,
            "duplicates": duplicates,
            "can_create": _may_create_customer(request.user),
        },
    )


@require_POST
@login_required
def triage_create_customer(request, pk):
    message = get_triage_message_for_user(request, pk)
    if not _may_create_customer(request.user):
        raise PermissionDenied
    form = TriageCustomerForm(request.POST, instance=Customer(owner=request.user))
    duplicates = []
    if form.is_valid():
        try:
            customer = filing.triage_create_customer(
                message=message,
                customer=form.instance,
                by=request.user,
                duplicates_confirmed=form.cleaned_data["confirm_not_duplicate"],
            )
        except PossibleDuplicate as error:
            form.add_error(None, error)
            duplicates = [
                match.customer
                for match in error.matches
                if visibility.can_see_owner(request.user, match.customer.owner_id)
            ]
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, _("Customer created; this e-mail is its first contact on record.")
            )
            return redirect(customer)
    return _render_detail(request, message, form=form, duplicates=duplicates)


@require_POST
@login_required
def triage_attach(request, pk, customer_pk):
    message = get_triage_message_for_user(request, pk)
    customer = get_customer_for_user(request, customer_pk, write=True, permission=LOG_INTERACTIONS)
    if run_action(
        request, filing.triage_attach, message=message, customer=customer, by=request.user
    ):
        messages.success(
            request, _("Filed on %(customer)s's timeline.") % {"customer": customer.display_name}
        )
    return redirect("mail:triage_list")


@require_POST
@login_required
def triage_dismiss(request, pk):
    message = get_triage_message_for_user(request, pk)
    if run_action(request, filing.triage_dismiss, message=message, by=request.user):
        messages.success(request, _("Dismissed: it stays out of the CRM."))
    return redirect("mail:triage_list")


@require_POST
@login_required
def message_make_private(request, pk):
    message = get_synced_message_for_user(request, pk)
    customer = message.customer
    if run_action(request, filing.message_make_private, message=message, by=request.user):
        messages.success(
            request,
            _("Private: its content is gone from the CRM and it will never be filed again."),
        )
    if customer is not None:
        return redirect(customer)
    return redirect("mail:triage_list")
