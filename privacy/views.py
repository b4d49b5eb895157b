from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import audit
from core.permissions import permission_required
from core.views.helpers import run_service

from . import services
from .access import get_person_for_user
from .forms import ErasureForm
from .permissions import ERASE_PERSONAL_DATA, EXPORT_PERSONAL_DATA


def _export(request, **keys):
    customer, contact = get_person_for_user(request, permission=EXPORT_PERSONAL_DATA, **keys)
    subject = f"contact-{contact.pk}" if contact is not None else f"customer-{customer.pk}"
    # Recorded before the first byte leaves: a download cut short was still an export.
    audit.record_export(
        request,
        name="personal data",
        rows=None,
        filters={"customer": customer.pk, "contact_person": contact.pk if contact else None},
    )
    response = StreamingHttpResponse(
        services.person_export(customer=customer, contact=contact, by=request.user),
        content_type="application/zip",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="personal-data-{subject}-{stamp}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@permission_required(EXPORT_PERSONAL_DATA)
def customer_export(request, pk):
    """Everything held about an individual customer, as a ZIP (JSON and their documents)."""
    return _export(request, customer_pk=pk)


@require_GET
@permission_required(EXPORT_PERSONAL_DATA)
def contact_export(request, pk):
    """Everything held about one contact person, as a ZIP."""
    return _export(request, contact_pk=pk)


def _erase(request, **keys):
    customer, contact = get_person_for_user(request, permission=ERASE_PERSONAL_DATA, **keys)
    already = (contact or customer).erased_at is not None
    form = ErasureForm(request.POST or None)
    if (
        request.method == "POST"
        and not already
        and form.is_valid()
        and run_service(
            form,
            services.person_erase,
            customer=customer,
            contact=contact,
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    ):
        messages.success(request, _("The person's data was erased."))
        return redirect(customer)
    return render(
        request,
        "privacy/erase_confirm.html",
        {"form": form, "customer": customer, "contact": contact, "already": already},
    )


@require_http_methods(["GET", "POST"])
@permission_required(ERASE_PERSONAL_DATA)
def customer_erase(request, pk):
    """The confirmation (GET) and the erasure (POST) of an individual customer."""
    return _erase(request, customer_pk=pk)


@require_http_methods(["GET", "POST"])
@permission_required(ERASE_PERSONAL_DATA)
def contact_erase(request, pk):
    """The confirmation (GET) and the erasure (POST) of one contact person."""
    return _erase(request, contact_pk=pk)
