"""Small pieces every app's views share: services called from forms, lists, form pages, going
back."""

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from ..pagination import LargeTablePaginator


def apply_service_errors(form, error: ValidationError):
    """Put a service's ValidationError next to the fields it names (or on top of the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@dataclass(frozen=True)
class ServiceCall:
    """What `run_service` did: true when the service went through, with what it returned
    (which may be None: a service need not return anything)."""

    ok: bool
    result: Any = None

    def __bool__(self):
        return self.ok


def run_service(form, service, /, **kwargs) -> ServiceCall:
    """`service(**kwargs)` for a view whose form is valid: a ValidationError the service raises
    goes onto `form` (each error beside the field it names, the rest on top of the form, see
    `apply_service_errors`) and the call answers false; otherwise it answers true, carrying the
    service's return value as `.result`.

        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            if call := run_service(form, services.contract_create, customer=customer, **data):
                return redirect(call.result)
        return render(...)  # the form again, with the service's errors beside its fields
    """
    # A form editing a stored record: not over a change someone saved meanwhile
    # (core.concurrent_edits); the row stays locked until the service has written.
    check = getattr(form, "check_not_edited_meanwhile", None)
    try:
        with transaction.atomic() if check else nullcontext():
            if check:
                check()
            result = service(**kwargs)
    except ValidationError as error:
        apply_service_errors(form, error)
        return ServiceCall(ok=False)
    return ServiceCall(ok=True, result=result)


def run_action(request, service, /, **kwargs) -> ServiceCall:
    """`service(**kwargs)` for a one-click action (a button, no form): a ValidationError the
    service raises becomes an error message on the next page and the call answers false;
    otherwise it answers true, carrying the service's return value as `.result`.

        if run_action(request, services.payout_approve, payout=payout, by=request.user):
            messages.success(request, _("Payout approved."))
        return redirect_back(request, "relationships:payout_list")
    """
    try:
        result = service(**kwargs)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return ServiceCall(ok=False)
    return ServiceCall(ok=True, result=result)


def paginate(request, queryset, per_page):
    """The requested page of a list, and the query string of its filters for the page links."""
    page = LargeTablePaginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def redirect_back(request, fallback):
    """Back to the page the action was taken from, if it is ours.

    Only a path counts: anything else posted as `next` ("1e-30", a view's name) would be taken
    by redirect() for a URL name to reverse, and fail.
    """
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback)


def render_object_form(
    request, form, *, title, submit, customer=None, obj=None, cancel_url=None, status=200
):
    """The plain create/edit page: a title, the form with its errors, save and cancel."""
    return render(
        request,
        "object_form.html",
        {
            "form": form,
            "customer": customer,
            "title": title,
            "submit": submit,
            "object": obj,
            "cancel_url": cancel_url or (customer.get_absolute_url() if customer else "/"),
        },
        status=status,
    )
