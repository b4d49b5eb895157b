"""The pages of a merged customer (or contact person) lead to its survivor."""

from django.contrib import messages
from django.http import Http404, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .access import MergedRecord


class MergedRecordRedirectMiddleware:
    """A customer URL of a merged customer answers with a permanent redirect to the same page
    of the survivor (its id swapped in), when the user sees the survivor; 404 otherwise, so a
    merge does not reveal a customer the user may not see. A form posted to a merged customer
    is not saved: the user is sent to the survivor's page with a message saying why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, MergedRecord):
            return None
        target = exception.model.objects.visible_to(request.user).filter(pk=exception.target_pk)
        if not target.exists():
            raise Http404
        match = request.resolver_match
        if request.method in ("GET", "HEAD"):
            try:
                url = reverse(match.view_name, kwargs={**match.kwargs, "pk": exception.target_pk})
            except NoReverseMatch:
                raise Http404 from exception
            if request.META.get("QUERY_STRING"):
                url = f"{url}?{request.META['QUERY_STRING']}"
            return HttpResponsePermanentRedirect(url)
        messages.warning(
            request,
            _("That record was merged into this one meanwhile; nothing was saved. Try again here."),
        )
        target = target.get()
        survivor = getattr(target, "customer", target)
        return HttpResponseRedirect(survivor.get_absolute_url())
