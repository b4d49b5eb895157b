"""The "New customer" page: a customer with its relationship and first contact.

It lives in relationships, not customers, because registering a customer also starts its
relationship and logs its first contact (services.registration.customer_register)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core import visibility
from core.permissions import permission_required
from core.views.helpers import apply_service_errors
from customers.forms import CustomerForm
from customers.permissions import EDIT_CUSTOMERS
from customers.services import PossibleDuplicate

from .. import services
from ..forms import FirstContactForm


@permission_required(EDIT_CUSTOMERS)
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
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Customer created with its first contact on record."))
            return redirect(customer)
    # The guard matches every customer, so a returning one is recognised whoever owns it; one
    # the user does not see (core.visibility) is named by its owner only, without a link.
    for match in form.duplicates:
        match.hidden = not _sees(request.user, match.customer)
    twin = getattr(form, "tax_id_twin", None)
    return render(
        request,
        "relationships/customer_create.html",
        {
            "form": form,
            "contact_form": contact_form,
            "twin_hidden": twin is not None and not _sees(request.user, twin),
        },
    )


def _sees(user, customer):
    return visibility.can_see_owner(user, customer.owner_id, customer_id=customer.pk)
