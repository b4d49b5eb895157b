"""Duplicates and merging: the suggestions list, the side-by-side merge screens, dismissing a
suggestion and looking for one customer's duplicates now."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.permissions import permission_required
from core.views.helpers import paginate, run_service

from . import duplicates
from .access import MergedRecord, get_contact_for_user, get_customer_for_user
from .merge_forms import ContactMergeForm, ContactPairForm, CustomerMergeForm
from .merging import contact_merge, customer_merge, merge_questions
from .models import ContactPerson, Customer, DuplicateSuggestion
from .permissions import MERGE_CUSTOMERS


def _visible_suggestions(user):
    visible = Customer.objects.visible_to(user).current().values("pk")
    return (
        DuplicateSuggestion.objects.filter(
            dismissed_at__isnull=True, first__in=visible, second__in=visible
        )
        .select_related("first__owner", "second__owner")
        .order_by("-found_at", "-id")
    )


@permission_required(MERGE_CUSTOMERS)
def duplicate_list(request):
    """The likely duplicates the user sees both customers of, newest first; `?customer=` one
    customer's."""
    suggestions = _visible_suggestions(request.user)
    customer = None
    if request.GET.get("customer", "").isdigit():
        customer = get_customer_for_user(request, int(request.GET["customer"]))
        suggestions = suggestions.filter(Q(first=customer) | Q(second=customer))
    page, query = paginate(request, suggestions, settings.CUSTOMER_LIST_PAGE_SIZE)
    return render(
        request,
        "customers/duplicate_list.html",
        {"page": page, "query": query, "customer": customer},
    )


@require_POST
@permission_required(MERGE_CUSTOMERS)
def duplicate_dismiss(request, pk):
    suggestion = get_object_or_404(_visible_suggestions(request.user), pk=pk)
    for pk_ in (suggestion.first_id, suggestion.second_id):
        get_customer_for_user(request, pk_, write=True, permission=MERGE_CUSTOMERS)
    duplicates.duplicate_dismiss(suggestion=suggestion, by=request.user)
    messages.success(request, _("Marked as not duplicates; this pair will not be suggested again."))
    return redirect("customers:duplicates")


@require_POST
@permission_required(MERGE_CUSTOMERS)
def duplicate_find(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=MERGE_CUSTOMERS)
    found = duplicates.duplicates_record(customer=customer)
    if found:
        message = ngettext(
            "%(count)s new possible duplicate found.",
            "%(count)s new possible duplicates found.",
            found,
        ) % {"count": found}
    else:
        message = _("No new possible duplicates found.")
    messages.info(request, message)
    return redirect(f"{redirect('customers:duplicates').url}?customer={customer.pk}")


def _merge_pair(request, left_pk, right_pk):
    """Both customers, each editable by the user (404 unseen, 403 not theirs to change)."""
    return [
        get_customer_for_user(request, pk, write=True, permission=MERGE_CUSTOMERS)
        for pk in (left_pk, right_pk)
    ]


@permission_required(MERGE_CUSTOMERS)
def customer_merge_screen(request, pk):
    """Customer `pk` (left) beside customer `?with=` (right)."""
    left, right = pk, request.GET.get("with", "")
    if not right.isdigit():
        get_customer_for_user(request, pk, write=True, permission=MERGE_CUSTOMERS)
        return redirect(f"{reverse('customers:duplicates')}?customer={pk}")
    right = int(right)
    if left == right:
        messages.error(request, _("Choose two different customers."))
        return redirect("customers:duplicates")
    try:
        left, right = _merge_pair(request, left, right)
    except MergedRecord:
        messages.warning(request, _("One of these customers has already been merged."))
        return redirect("customers:duplicates")
    form = CustomerMergeForm(
        request.POST or None, left=left, right=right, questions=merge_questions(left, right)
    )
    if request.method == "POST" and form.is_valid():
        survivor, merged = form.records()
        if call := run_service(
            form,
            customer_merge,
            survivor=survivor,
            merged=merged,
            values=form.values(),
            options=form.options(),
            versions=form.versions(),
            by=request.user,
        ):
            messages.success(
                request,
                _("Customer #%(id)s (%(merged)s) was merged into this one: its records are here.")
                % {"id": merged.pk, "merged": merged.display_name},
            )
            return redirect(call.result.survivor)
    return render(
        request,
        "customers/customer_merge.html",
        {
            "form": form,
            "left": left,
            "right": right,
            "contacts": ContactPerson.objects.filter(customer__in=[left, right]).order_by(
                "customer_id", "last_name", "first_name", "id"
            ),
        },
    )


@permission_required(MERGE_CUSTOMERS)
def contact_merge_screen(request, pk):
    """Two contact persons of one customer side by side; `?left=&right=` chooses them."""
    customer = get_customer_for_user(request, pk, write=True, permission=MERGE_CUSTOMERS)
    contacts = ContactPerson.objects.filter(customer=customer, merged_into__isnull=True)
    pair = ContactPairForm(request.GET or None, contacts=contacts)
    form = None
    if pair.is_bound and pair.is_valid():
        left = get_contact_for_user(request, pair.cleaned_data["left"].pk, write=True)
        right = get_contact_for_user(request, pair.cleaned_data["right"].pk, write=True)
        form = ContactMergeForm(request.POST or None, left=left, right=right)
        if request.method == "POST" and form.is_valid():
            survivor, merged = form.records()
            if run_service(
                form,
                contact_merge,
                survivor=survivor,
                merged=merged,
                values=form.values(),
                by=request.user,
            ):
                messages.success(
                    request,
                    _("%(merged)s was merged into %(survivor)s.")
                    % {"merged": merged, "survivor": survivor},
                )
                return redirect(customer)
    return render(
        request,
        "customers/contact_merge.html",
        {"customer": customer, "pair": pair, "form": form},
    )
