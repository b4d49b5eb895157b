"""Helpers the contract, invoice, payout and asset pages share."""

from django.conf import settings

from core.views.helpers import paginate, render_object_form


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
