"""What every process view shares: the list page size and the form page."""

from django.conf import settings

from core.views.helpers import paginate, render_object_form

from ..models import ProcessDefinition

Kind = ProcessDefinition.Kind


def _page(request, queryset):
    return paginate(request, queryset, settings.PROCESS_LIST_PAGE_SIZE)


def _form_page(request, form, *, title, submit, customer=None, cancel_url=None, status=200):
    return render_object_form(
        request,
        form,
        title=title,
        submit=submit,
        customer=customer,
        cancel_url=cancel_url,
        status=status,
    )
