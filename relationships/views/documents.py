"""Documents: upload (size-limited before the body is read) and the checked download."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from core.permissions import permission_required
from core.uploads import SizeLimitedUploadHandler, attachment_response
from core.views.helpers import run_service
from customers.access import get_customer_for_user
from customers.permissions import VIEW_CUSTOMERS

from .. import services
from ..access import get_document_for_user
from ..forms import DocumentForm
from ..permissions import UPLOAD_DOCUMENTS
from .common import _object_form


# Django's CSRF check reads the request body, and the size limit must be in place before the
# body is read: the check is exempted here and done by csrf_protect on the view proper.
@csrf_exempt
@permission_required(UPLOAD_DOCUMENTS)
def document_create(request, pk):
    request.upload_handlers.insert(
        0, SizeLimitedUploadHandler(request, max_size=settings.DOCUMENT_MAX_SIZE)
    )
    return _document_create(request, pk)


@csrf_protect
def _document_create(request, pk):
    customer = get_customer_for_user(request, pk, write=True, permission=UPLOAD_DOCUMENTS)
    initial = {name: request.GET.get(name) for name in ("contract", "invoice", "asset")}
    form = DocumentForm(
        request.POST or None, request.FILES or None, customer=customer, initial=initial
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form, services.document_upload, customer=customer, by=request.user, **form.cleaned_data
        )
    ):
        messages.success(request, _("Document added."))
        return redirect(customer)
    return _object_form(
        request, form, customer=customer, title=_("Add a document"), submit=_("Upload")
    )


@permission_required(VIEW_CUSTOMERS)
def document_download(request, pk):
    """The only way to a document's file: whoever may see the customer, as an attachment that
    no browser renders or sniffs, with the type sniffed at upload (documents stored before
    uploads were sniffed, with a type no longer allowed, go out as plain bytes)."""
    document = get_document_for_user(request, pk)
    content_type = document.content_type
    if content_type not in settings.DOCUMENT_ALLOWED_TYPES.values():
        content_type = "application/octet-stream"
    return attachment_response(
        document.file, filename=document.original_name, content_type=content_type
    )
