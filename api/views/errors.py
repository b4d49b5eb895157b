"""A URL under /api/ that matches no route answers a problem like every other API error; the
rest of the site keeps its pages."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from ..problems import PROBLEM_CONTENT_TYPE, TITLES, TYPE_BASE, TYPES

API_PREFIX = "/api/"


def _problem(request, status):
    return JsonResponse(
        {
            "type": TYPE_BASE + TYPES[status],
            "title": str(TITLES[status]),
            "status": status,
            "detail": _("There is no such address in the API.")
            if status == 404
            else _("The server failed to answer. Try again later."),
            "instance": request.get_full_path(),
        },
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def page_not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        return _problem(request, 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return _problem(request, 500)
    return defaults.server_error(request)
