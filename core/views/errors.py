"""The 403 page, saying why when the refusal is about whose record it is."""

from django.core.exceptions import PermissionDenied
from django.views import defaults

from ..visibility import NotEditable


def permission_denied(request, exception):
    """Django's 403 page (templates/403.html, `exception` its message). Only a NotEditable's
    message, which the access helpers set, is shown: the page then says the record is someone
    else's to change instead of blaming the role. Any other refusal's text (a library's, an
    exception raised with whatever it was given) is dropped, so the page shows the role's."""
    if not isinstance(exception, NotEditable):
        exception = PermissionDenied()
    return defaults.permission_denied(request, exception)
