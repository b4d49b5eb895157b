from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from core.uploads import SizeLimitedUploadHandler, safe_filename
from customers import roles
from customers.access import get_customer_for_user
from customers.forms import CustomerForm
from customers.roles import role_required
from customers.services import PossibleDuplicate
from customers.view_helpers import (
    apply_service_errors as _apply_errors,
)
from customers.view_helpers import (
    paginate,
    render_object_form,
)
from customers.view_helpers import (
    redirect_back as _back,
)

from . import services
from .access import (
    get_asset_for_user,
    get_contract_for_user,
    get_document_for_user,
    get_invoice_for_user,
    get_payout_for_user,
    get_relationship_for_user,
)
from .filters import ContractFilter, InvoiceFilter
from .forms import (
    AssetForm,
    ContractForm,
    ContractTerminateForm,
    DocumentForm,
    FirstContactForm,
    InteractionForm,
    InvoiceForm,
    PaymentForm,
    PayoutForm,
    PayoutRejectForm,
    RelationshipEndForm,
    RelationshipStartForm,
    WriteOffForm,
)
from .models import Contract, Invoice, Payout


@role_required(*roles.EDIT_CUSTOMERS)
def customer_create(request):
    form = CustomerForm(
        request.POST or None, check_duplicates=True, initial={"owner": request.user}
    )
    contact_form = FirstContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and contact_form.is_valid():
        first = contact_form.cleaned_data
        try:
            customer = services.customer_register(
                customer=form.save(commit=False),
                segments=form.cleaned_data["segments"],
                relationship_kind=first["relationship_kind"],
                first_contact={
                    "channel": first["channel"],
                    "direction": first["direction"],
                    "subject": first["subject"],
                    "notes": first["notes"],
                },
                by=request.user,
                duplicates_confirmed=form.cleaned_data["confirm_not_duplicate"],
            )
        except PossibleDuplicate as error:
            form.show_duplicates(error)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Customer created with its first contact on record."))
            return redirect(customer)
    return render(
        request,
        "relationships/customer_create.html",
        {"form": form, "contact_form": contact_form},
    )


@role_required(*roles.LOG_INTERACTIONS)
def interaction_create(request, pk):
    customer = get_customer_for_user(request, pk)
    form = InteractionForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_log(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Interaction logged."))
            return redirect(customer)
    return render(
        request, "relationships/interaction_form.html", {"form": form, "customer": customer}
    )


@role_required(*roles.END_RELATIONSHIP)
def relationship_end(request, pk):
    relationship = get_relationship_for_user(request, pk, allowed=roles.END_RELATIONSHIP)
    customer = relationship.customer
    if not relationship.is_open:
        messages.info(request, _("This relationship has already ended."))
        return redirect(customer)
    form = RelationshipEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.relationship_end(
                relationship=relationship,
                reason=form.cleaned_data["end_reason"],
                note=form.cleaned_data["end_note"],
                by=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, _("The relationship has ended. The customer and its history stay.")
            )
            return redirect(customer)
    return render(
        request,
        "relationships/relationship_end.html",
        {"form": form, "relationship": relationship, "customer": customer},
    )


@require_POST
@role_required(*roles.START_RELATIONSHIP)
def relationship_start(request, pk):
    customer = get_customer_for_user(request, pk)
    form = RelationshipStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the kind of relationship to start."))
        return redirect(customer)
    try:
        services.relationship_start(
            customer=customer, kind=form.cleaned_data["kind"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("A new relationship has started. Earlier history stays visible.")
        )
    return redirect(customer)


@require_POST
@role_required(*roles.START_RELATIONSHIP)
def relationship_activate(request, pk):
    relationship = get_relationship_for_user(request, pk, allowed=roles.START_RELATIONSHIP)
    try:
        services.relationship_activate(relationship=relationship, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The customer is now active."))
    return redirect(relationship.customer)


# --- Shared helpers -------------------------------------------------------------------------


def _changed_data(form):
    return {
        name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
    }


def _page(request, queryset):
    return paginate(request, queryset, settings.FINANCE_LIST_PAGE_SIZE)


def _object_form(request, form, *, customer, title, submit, obj=None, cancel_url=None):
    return render_object_form(
        request, form, customer=customer, title=title, submit=submit, obj=obj, cancel_url=cancel_url
    )


# --- Contracts ------------------------------------------------------------------------------


@role_required(*roles.VIEW_CUSTOMERS)
def contract_list(request):
    contract_filter = ContractFilter(
        request.GET,
        queryset=Contract.objects.select_related("customer"),
        request=request,
    )
    page, query = _page(request, contract_filter.qs)
    return render(
        request,
        "relationships/contract_list.html",
        {"filter": contract_filter, "page": page, "query": query},
    )


@role_required(*roles.VIEW_CUSTOMERS)
def contract_detail(request, pk):
    contract = get_contract_for_user(request, pk)
    return render(
        request,
        "relationships/contract_detail.html",
        {
            "contract": contract,
            "customer": contract.customer,
            "invoices": list(contract.invoices.order_by("-issue_date", "-id")[:50]),
            "assets": list(contract.assets.all()),
            "documents": list(contract.documents.select_related("uploaded_by")),
            "terminate_form": ContractTerminateForm(),
            "backbilling": services.contract_backbilling(contract, today=timezone.localdate())
            if contract.status == Contract.Status.ACTIVE
            else None,
        },
    )


@require_POST
@role_required(*roles.CONFIRM_BACKBILLING)
def contract_confirm_backbilling(request, pk):
    contract = get_contract_for_user(request, pk, allowed=roles.CONFIRM_BACKBILLING)
    try:
        invoices = services.contract_confirm_backbilling(contract=contract, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Back-billing confirmed: %(count)s invoices issued.") % {"count": len(invoices)},
        )
    return redirect(contract)


@role_required(*roles.CREATE_CONTRACTS)
def contract_create(request, pk):
    customer = get_customer_for_user(request, pk)
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            contract = services.contract_create(customer=customer, by=request.user, **data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Contract %(number)s saved.") % {"number": contract.number})
            return redirect(contract)
    return _object_form(
        request, form, customer=customer, title=_("New contract"), submit=_("Save contract")
    )


@role_required(*roles.CREATE_CONTRACTS)
def contract_edit(request, pk):
    contract = get_contract_for_user(request, pk, allowed=roles.CREATE_CONTRACTS)
    if not contract.is_current:
        messages.info(request, _("A terminated or expired contract can no longer be changed."))
        return redirect(contract)
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        data = _changed_data(form)
        confirm_backbilling = data.pop("confirm_backbilling", False)
        try:
            services.contract_update(
                contract=contract,
                data=data,
                confirm_backbilling=confirm_backbilling,
                by=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Contract saved."))
            return redirect(contract)
    return _object_form(
        request,
        form,
        customer=contract.customer,
        title=_("Edit contract %(number)s") % {"number": contract.number},
        submit=_("Save contract"),
        obj=contract,
        cancel_url=contract.get_absolute_url(),
    )


@require_POST
@role_required(*roles.CREATE_CONTRACTS)
def contract_sign(request, pk):
    contract = get_contract_for_user(request, pk, allowed=roles.CREATE_CONTRACTS)
    try:
        services.contract_sign(contract=contract, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The contract is signed and active."))
    return redirect(contract)


@role_required(*roles.TERMINATE_CONTRACTS)
def contract_terminate(request, pk):
    contract = get_contract_for_user(request, pk, allowed=roles.TERMINATE_CONTRACTS)
    if not contract.is_current:
        messages.info(request, _("This contract has already ended."))
        return redirect(contract)
    form = ContractTerminateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_terminate(
                contract=contract,
                reason=form.cleaned_data["termination_reason"],
                by=request.user,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("The contract is terminated. The relationship with the customer goes on."),
            )
            return redirect(contract)
    return _object_form(
        request,
        form,
        customer=contract.customer,
        title=_("Terminate contract %(number)s") % {"number": contract.number},
        submit=_("Terminate the contract"),
        obj=contract,
        cancel_url=contract.get_absolute_url(),
    )


# --- Invoices and payments ------------------------------------------------------------------


@role_required(*roles.VIEW_FINANCE)
def invoice_list(request):
    invoice_filter = InvoiceFilter(
        request.GET,
        queryset=Invoice.objects.select_related("customer", "contract"),
        request=request,
    )
    page, query = _page(request, invoice_filter.qs)
    # Totals cover what the filters matched; over the whole ledger they would cost a full scan
    # on every request and say little, so they wait until the filters narrow it to the cap.
    totals = []
    if invoice_filter.is_valid() and not page.paginator.count_is_capped:
        totals = invoice_filter.qs.totals_by_currency()
    template = (
        "relationships/_invoice_table.html" if request.htmx else "relationships/invoice_list.html"
    )
    return render(
        request,
        template,
        {"filter": invoice_filter, "page": page, "query": query, "totals": totals},
    )


def _invoice_page(request, invoice, *, payment_form=None, write_off_form=None, status=200):
    can_pay = roles.has_role(request.user, roles.REGISTER_PAYMENTS)
    can_write_off = roles.has_role(request.user, roles.WRITE_OFF)
    unsettled = not invoice.is_settled
    return render(
        request,
        "relationships/invoice_detail.html",
        {
            "invoice": invoice,
            "customer": invoice.customer,
            "payments": list(invoice.payments.select_related("recorded_by")),
            "documents": list(invoice.documents.select_related("uploaded_by")),
            "payment_form": (payment_form or PaymentForm(invoice=invoice))
            if can_pay and unsettled
            else None,
            "write_off_form": (write_off_form or WriteOffForm())
            if can_write_off and unsettled
            else None,
        },
        status=status,
    )


@role_required(*roles.VIEW_CUSTOMERS)
def invoice_detail(request, pk):
    return _invoice_page(request, get_invoice_for_user(request, pk))


@role_required(*roles.ISSUE_INVOICES)
def invoice_create(request, pk):
    customer = get_customer_for_user(request, pk)
    today = timezone.localdate()
    form = InvoiceForm(
        request.POST or None,
        customer=customer,
        initial={
            "issue_date": today,
            "due_date": today + timezone.timedelta(days=settings.INVOICE_PAYMENT_TERM_DAYS),
            "contract": request.GET.get("contract"),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_create(
                customer=customer, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
            return redirect(invoice)
    return _object_form(
        request, form, customer=customer, title=_("New invoice"), submit=_("Issue invoice")
    )


@role_required(*roles.ISSUE_INVOICES)
def invoice_edit(request, pk):
    invoice = get_invoice_for_user(request, pk, allowed=roles.ISSUE_INVOICES)
    if invoice.written_off_at:
        messages.info(request, _("A written-off invoice can no longer be changed."))
        return redirect(invoice)
    form = InvoiceForm(request.POST or None, instance=invoice, customer=invoice.customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.invoice_update(invoice=invoice, data=_changed_data(form))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Invoice saved."))
            return redirect(invoice)
    return _object_form(
        request,
        form,
        customer=invoice.customer,
        title=_("Edit invoice %(number)s") % {"number": invoice.number},
        submit=_("Save invoice"),
        obj=invoice,
        cancel_url=invoice.get_absolute_url(),
    )


@require_POST
@role_required(*roles.REGISTER_PAYMENTS)
def payment_create(request, pk):
    invoice = get_invoice_for_user(request, pk, allowed=roles.REGISTER_PAYMENTS)
    form = PaymentForm(request.POST, invoice=invoice)
    if form.is_valid():
        try:
            services.payment_register(invoice=invoice, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect(invoice)
    invoice.refresh_from_db()
    return _invoice_page(request, invoice, payment_form=form)


@require_POST
@role_required(*roles.WRITE_OFF)
def invoice_write_off(request, pk):
    invoice = get_invoice_for_user(request, pk, allowed=roles.WRITE_OFF)
    form = WriteOffForm(request.POST)
    if form.is_valid():
        try:
            services.invoice_write_off(
                invoice=invoice, reason=form.cleaned_data["write_off_reason"], by=request.user
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The invoice is written off."))
            return redirect(invoice)
    return _invoice_page(request, invoice, write_off_form=form)


# --- Payouts --------------------------------------------------------------------------------


def _payout_list_page(request, *, reject_form=None, reject_pk=None):
    base = Payout.objects.select_related("customer", "requested_by", "approved_by")
    return render(
        request,
        "relationships/payout_list.html",
        {
            "awaiting": list(base.awaiting_approval().order_by("requested_at", "id")[:100]),
            "to_pay": list(base.ready_to_pay().order_by("requested_at", "id")[:100]),
            "threshold": settings.PAYOUT_APPROVAL_THRESHOLD,
            "reject_form": reject_form,
            "reject_pk": reject_pk,
        },
    )


@role_required(*roles.VIEW_FINANCE)
def payout_list(request):
    return _payout_list_page(request)


@role_required(*roles.REQUEST_PAYOUTS)
def payout_create(request, pk):
    customer = get_customer_for_user(request, pk)
    form = PayoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payout = services.payout_request(
                customer=customer, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if payout.needs_approval:
                messages.success(request, _("Payout requested; it awaits a manager's approval."))
            else:
                messages.success(request, _("Payout requested; finance can pay it."))
            return redirect(customer)
    return _object_form(
        request, form, customer=customer, title=_("Request a payout"), submit=_("Request payout")
    )


@role_required(*roles.REQUEST_PAYOUTS)
def payout_edit(request, pk):
    payout = get_payout_for_user(request, pk, allowed=roles.REQUEST_PAYOUTS)
    if payout.status != Payout.Status.REQUESTED:
        messages.info(request, _("Only a payout that is still requested can be changed."))
        return redirect(payout.customer)
    form = PayoutForm(request.POST or None, instance=payout)
    if request.method == "POST" and form.is_valid():
        try:
            services.payout_update(payout=payout, data=_changed_data(form))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Payout saved."))
            return redirect(payout.customer)
    return _object_form(
        request,
        form,
        customer=payout.customer,
        title=_("Edit payout"),
        submit=_("Save payout"),
        obj=payout,
    )


@require_POST
@role_required(*roles.APPROVE_PAYOUTS)
def payout_approve(request, pk):
    payout = get_payout_for_user(request, pk, allowed=roles.APPROVE_PAYOUTS)
    try:
        services.payout_approve(payout=payout, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Payout approved."))
    return _back(request, "relationships:payout_list")


@require_POST
@role_required(*roles.APPROVE_PAYOUTS)
def payout_reject(request, pk):
    payout = get_payout_for_user(request, pk, allowed=roles.APPROVE_PAYOUTS)
    form = PayoutRejectForm(request.POST)
    if form.is_valid():
        try:
            services.payout_reject(
                payout=payout, reason=form.cleaned_data["rejection_reason"], by=request.user
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Payout rejected."))
            return _back(request, "relationships:payout_list")
    return _payout_list_page(request, reject_form=form, reject_pk=payout.pk)


@require_POST
@role_required(*roles.PAY_PAYOUTS)
def payout_mark_paid(request, pk):
    payout = get_payout_for_user(request, pk, allowed=roles.PAY_PAYOUTS)
    try:
        services.payout_mark_paid(payout=payout, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Payout marked as paid."))
    return _back(request, "relationships:payout_list")


# --- Assets and documents -------------------------------------------------------------------


@role_required(*roles.MANAGE_ASSETS)
def asset_create(request, pk):
    customer = get_customer_for_user(request, pk)
    form = AssetForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.asset_create(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Asset added."))
            return redirect(customer)
    return _object_form(
        request, form, customer=customer, title=_("New asset"), submit=_("Save asset")
    )


@role_required(*roles.MANAGE_ASSETS)
def asset_edit(request, pk):
    asset = get_asset_for_user(request, pk, allowed=roles.MANAGE_ASSETS)
    form = AssetForm(request.POST or None, instance=asset, customer=asset.customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.asset_update(asset=asset, data=_changed_data(form))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Asset saved."))
            return redirect(asset.customer)
    return _object_form(
        request,
        form,
        customer=asset.customer,
        title=_("Edit asset"),
        submit=_("Save asset"),
        obj=asset,
    )


# Django's CSRF check reads the request body, and the size limit must be in place before the
# body is read: the check is exempted here and done by csrf_protect on the view proper.
@csrf_exempt
@role_required(*roles.UPLOAD_DOCUMENTS)
def document_create(request, pk):
    request.upload_handlers.insert(
        0, SizeLimitedUploadHandler(request, max_size=settings.DOCUMENT_MAX_SIZE)
    )
    return _document_create(request, pk)


@csrf_protect
def _document_create(request, pk):
    customer = get_customer_for_user(request, pk)
    initial = {name: request.GET.get(name) for name in ("contract", "invoice", "asset")}
    form = DocumentForm(
        request.POST or None, request.FILES or None, customer=customer, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.document_upload(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Document added."))
            return redirect(customer)
    return _object_form(
        request, form, customer=customer, title=_("Add a document"), submit=_("Upload")
    )


@role_required(*roles.VIEW_CUSTOMERS)
def document_download(request, pk):
    """The only way to a document's file: whoever may see the customer, as an attachment that
    no browser renders or sniffs, with the type sniffed at upload (documents stored before
    uploads were sniffed, with a type no longer allowed, go out as plain bytes)."""
    document = get_document_for_user(request, pk)
    content_type = document.content_type
    if content_type not in settings.DOCUMENT_ALLOWED_TYPES.values():
        content_type = "application/octet-stream"
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from storage.")) from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=safe_filename(document.original_name),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser display it anyway, it runs nothing and loads nothing.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
