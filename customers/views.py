# The "New customer" page is not here: registering a customer also starts its relationship and
# logs its first contact, so it lives one layer up, in relationships/views/registration.py
# (customer_create) and relationships/services/registration.py (customer_register).

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core import exports, lists, visibility
from core import search as global_search
from core.bounds import SEARCH_TERM_MAX_LENGTH
from core.forms import share_choices
from core.permissions import can, permission_required
from core.views.audit import render_history
from core.views.helpers import paginate, redirect_back, run_action, run_service

from . import services
from .access import get_contact_for_user, get_customer_for_user, get_customer_page_for_user
from .customer_page import history_querysets, sections_for, timeline_for
from .forms import ConsentForm, ContactPersonForm, CustomerBulkForm, CustomerForm
from .models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentState,
    ContactPerson,
    Customer,
    CustomerMerge,
)
from .permissions import EDIT_CONTACTS, EDIT_CUSTOMERS, VIEW_CUSTOMERS
from .selectors import customer_contacts, customer_segments


@permission_required(VIEW_CUSTOMERS)
def customer_list(request):
    rows = lists.get("customers").rows(request.user, request.GET, request)
    if exports.wanted_format(request):
        return exports.export_response(request, name="customers", rows=rows)
    customer_filter = rows.filterset
    page, query = paginate(request, customer_filter.qs, settings.CUSTOMER_LIST_PAGE_SIZE)
    template = "customers/_customer_table.html" if request.htmx else "customers/customer_list.html"
    context = {"filter": customer_filter, "page": page, "query": query}
    if can(request.user, EDIT_CUSTOMERS):
        context["bulk_form"] = bulk_form = CustomerBulkForm()
        for name in ("owner", "segment"):
            share_choices(name, customer_filter.form, bulk_form)
    return render(request, template, context)


@require_POST
@permission_required(EDIT_CUSTOMERS)
def customer_bulk(request):
    """One bulk action on the customers ticked in the list: all of them changed, or none."""
    form = CustomerBulkForm(request.POST)
    back = redirect_back(request, "customers:list")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return back
    data = form.cleaned_data
    if not data["ids"]:
        messages.warning(request, lists.NOTHING_SELECTED)
        return back
    try:
        customers = lists.selected(Customer.objects.visible_to(request.user).current(), data["ids"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return back
    if data["action"] == CustomerBulkForm.ASSIGN:
        call = run_action(
            request,
            services.customer_bulk_assign,
            customers=customers,
            owner=data["owner"],
            by=request.user,
        )
        done = ngettext(
            "%(count)s customer now belongs to %(owner)s.",
            "%(count)s customers now belong to %(owner)s.",
            len(data["ids"]),
        )
        details = {"owner": data["owner"].get_username()}
    else:
        add = data["action"] == CustomerBulkForm.SEGMENT_ADD
        call = run_action(
            request,
            services.customer_bulk_segment,
            customers=customers,
            segment=data["segment"],
            add=add,
            by=request.user,
        )
        done = (
            ngettext(
                "%(count)s customer added to the segment %(segment)s.",
                "%(count)s customers added to the segment %(segment)s.",
                len(data["ids"]),
            )
            if add
            else ngettext(
                "%(count)s customer taken out of the segment %(segment)s.",
                "%(count)s customers taken out of the segment %(segment)s.",
                len(data["ids"]),
            )
        )
        details = {"segment": data["segment"].name}
    if call:
        messages.success(request, done % {"count": len(data["ids"]), **details})
    return back


@permission_required(VIEW_CUSTOMERS)
def customer_detail(request, pk):
    customer = get_customer_page_for_user(request, pk)
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            # Asked by the edit buttons only (a query for a non-manager who does not own it).
            "customer_editable": lambda: visibility.can_edit_owner(request.user, customer.owner_id),
            "segments": customer_segments(customer),
            "contacts": customer_contacts(customer),
            "sections": sections_for(request, customer),
            "timeline": timeline_for(customer, limit=50),
        },
    )


@permission_required(EDIT_CUSTOMERS)
def customer_edit(request, pk):
    customer = get_customer_for_user(request, pk, write=True)
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "segments"}
        if run_service(
            form,
            services.customer_update,
            customer=customer,
            data=data,
            segments=form.cleaned_data["segments"],
        ):
            messages.success(request, _("Customer saved."))
            return redirect(customer)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@permission_required(VIEW_CUSTOMERS)
def customer_history(request, pk):
    customer = get_customer_for_user(request, pk)
    records = [
        # The customers merged into this one left their history here too.
        Customer.objects.filter(Q(pk=customer.pk) | Q(merged_into=customer.pk)),
        CustomerMerge.objects.filter(Q(survivor=customer.pk) | Q(merged=customer.pk)),
        ContactPerson.objects.filter(customer_id=customer.pk),
        *history_querysets(customer),
    ]
    return render_history(
        request, "customers/customer_history.html", records, {"customer": customer}
    )


@permission_required(EDIT_CONTACTS)
def contact_create(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=EDIT_CONTACTS)
    form = ContactPersonForm(request.POST or None, instance=ContactPerson(customer=customer))
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(form, services.contact_person_save, contact=form.instance, by=request.user)
    ):
        messages.success(request, _("Contact person added."))
        return redirect(customer)
    return render(request, "customers/contact_form.html", {"form": form, "customer": customer})


@permission_required(EDIT_CONTACTS)
def contact_edit(request, pk):
    contact = get_contact_for_user(request, pk, write=True)
    form = ContactPersonForm(request.POST or None, instance=contact)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(form, services.contact_person_save, contact=form.instance, by=request.user)
    ):
        messages.success(request, _("Contact person saved."))
        return redirect(contact.customer)
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "customer": contact.customer, "contact": contact},
    )


@permission_required(VIEW_CUSTOMERS)
def contact_consents(request, pk):
    """A contact person's consent per purpose, its history, and (for who may edit the person)
    the form recording a consent given or withdrawn."""
    write = request.method == "POST"
    contact = get_contact_for_user(request, pk, write=write)
    editable = can(request.user, EDIT_CONTACTS) and visibility.can_edit_owner(
        request.user, contact.customer.owner_id
    )
    form = ConsentForm(request.POST or None)
    if (
        write
        and form.is_valid()
        and run_service(
            form,
            services.consent_record,
            contact=contact,
            purpose=form.cleaned_data["purpose"],
            given=form.cleaned_data["decision"] == ConsentForm.GIVE,
            source=form.cleaned_data["source"],
            by_person=form.cleaned_data["by_person"],
            by=request.user,
        )
    ):
        messages.success(request, _("Consent recorded."))
        return redirect("customers:contact_consents", pk=contact.pk)
    states = {
        state.purpose_id: state
        for state in ConsentState.objects.filter(contact=contact).select_related("event")
    }
    purposes = [
        (purpose, states.get(purpose.pk))
        for purpose in ConsentPurpose.objects.all()
        if purpose.active or purpose.pk in states
    ]
    history = ConsentEvent.objects.filter(contact=contact).select_related("purpose", "recorded_by")[
        :200
    ]
    return render(
        request,
        "customers/contact_consents.html",
        {
            "contact": contact,
            "customer": contact.customer,
            "purposes": purposes,
            "history": history,
            "form": form if editable and contact.erased_at is None else None,
        },
    )


@permission_required(VIEW_CUSTOMERS)
def search(request):
    """The navigation bar's box: every kind the user may see, grouped (core.search). From htmx
    (typing in the box) a few hits per kind in a dropdown; else the results page, each group
    bounded with a link to the rest, or one kind alone (`?kind=`)."""
    raw = request.GET.get("q", "")
    term = global_search.clean_term(raw)
    only = request.GET.get("kind", "")
    if only not in global_search.kind_keys():
        only = ""
    dropdown = bool(request.htmx)
    if dropdown:
        limit = global_search.DROPDOWN_LIMIT
    else:
        limit = global_search.KIND_PAGE_LIMIT if only else global_search.PAGE_LIMIT
    groups = global_search.search(
        term,
        user=request.user,
        limit=limit,
        only=only or None,
        more_url_base=request.path,
    )
    hits = [(group.kind, hit) for group in groups for hit in group.hits]
    if len(hits) == 1 and not dropdown and not only:
        kind, hit = hits[0]
        return redirect(kind.url(hit))  # one unambiguous match: open it
    context = {
        "term": raw.strip(),
        "searched": bool(term),
        "substring": global_search.allows_substring(term),
        "too_long": len(raw.strip()) > SEARCH_TERM_MAX_LENGTH,
        "max_length": SEARCH_TERM_MAX_LENGTH,
        "groups": [group for group in groups if group.hits],
        "kinds": [group.kind for group in groups],
        "found": {group.kind.key: group.hits for group in groups},
        "only": only,
    }
    template = "customers/_search_dropdown.html" if dropdown else "customers/search.html"
    return render(request, template, context)
