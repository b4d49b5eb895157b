"""Every error the API answers is an RFC 9457 problem (`application/problem+json`):

    {"type": "/api/v1/problems/validation-error", "title": "Invalid input.", "status": 400,
     "detail": "Correct the fields listed in errors.", "instance": "/api/v1/customers/",
     "errors": {"email": ["Enter a valid email address."]}}

`type` names the kind of problem (a stable identifier to branch on; the title and detail are in
the user's language), `errors` the messages per field ("non_field_errors" for the record as a
whole). A ValidationError raised by a service (a business rule: overpaying an invoice, ending
an ended relationship) is a 422; a request the serializer cannot read is a 400.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _(
        "The record has changed since you read it (its ETag differs from If-Match). Read it "
        "again and send your change based on it."
    )
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        "Send the record's ETag in an If-Match header, so that a change made meanwhile is not "
        "overwritten."
    )
    default_code = "precondition_required"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Another request changed the same record at the same time. Try again.")
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    """A well-formed request that a business rule refuses (a service's ValidationError)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("The request breaks a rule of the CRM; see errors.")
    default_code = "unprocessable"


class IdempotencyKeyReused(Unprocessable):
    default_detail = _(
        "This Idempotency-Key was already used for a different request. Use a new key for a "
        "new request."
    )
    default_code = "idempotency_key_reused"


TITLES = {
    400: _("Invalid input."),
    401: _("Authentication required."),
    403: _("Forbidden."),
    404: _("Not found."),
    405: _("Method not allowed."),
    406: _("Not acceptable."),
    409: _("Conflict."),
    412: _("Precondition failed."),
    415: _("Unsupported media type."),
    422: _("Unprocessable request."),
    428: _("Precondition required."),
    429: _("Too many requests."),
    500: _("Server error."),
}

TYPES = {
    400: "validation-error",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    415: "unsupported-media-type",
    422: "unprocessable",
    428: "precondition-required",
    429: "throttled",
    500: "server-error",
}


def django_validation_errors(error: DjangoValidationError) -> dict:
    """A Django ValidationError as {field: [messages]}, the record's own under NON_FIELD."""
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD: [str(message) for message in error.messages]}


def _flatten(detail):
    """DRF's nested error detail as {field: [messages]} (nested fields dotted)."""
    if isinstance(detail, dict):
        errors = {}
        for field, value in detail.items():
            inner = _flatten(value)
            for key, messages in inner.items():
                name = field if key == NON_FIELD else f"{field}.{key}"
                errors.setdefault(name, []).extend(messages)
        return errors
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {NON_FIELD: [str(item) for item in detail]}
        errors = {}
        for index, item in enumerate(detail):
            for key, messages in _flatten(item).items():
                name = str(index) if key == NON_FIELD else f"{index}.{key}"
                errors.setdefault(name, []).extend(messages)
        return errors
    return {NON_FIELD: [str(detail)]}


def problem(status_code, *, detail, instance, errors=None, type_name=None, headers=None):
    """The problem as a plain JSON response: whatever renderer the view negotiated (the schema
    view's YAML), a problem is JSON."""
    body = {
        "type": TYPE_BASE + (type_name or TYPES.get(status_code, "error")),
        "title": str(TITLES.get(status_code, _("Error."))),
        "status": status_code,
        "detail": str(detail),
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    response = JsonResponse(
        body,
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def handle(exc, context):
    """DRF's EXCEPTION_HANDLER: every error as a problem, unknown ones as a logged 500."""
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""
    if isinstance(exc, DjangoValidationError):
        exc = Unprocessable(detail=django_validation_errors(exc))
    elif isinstance(exc, IntegrityError):
        exc = Conflict()
    response = exception_handler(exc, context)
    if response is None:
        # An unexpected error goes on to Django, as a page's would: it is logged and reported
        # there, a read whose database connection dropped is retried
        # (core.middleware.RetryReadsOnDroppedConnectionMiddleware), and the answer is
        # handler500's, a problem under /api/ (api.views.errors).
        return None
    headers = {
        name: value
        for name, value in response.items()
        if name in ("WWW-Authenticate", "Retry-After", "Allow")
    }
    status_code = response.status_code
    if status_code == 401 and "WWW-Authenticate" not in headers:
        # Session-only clients get a 403 from DRF; a token client is told how to authenticate.
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    detail = getattr(exc, "detail", "")
    errors = None
    type_name = getattr(exc, "default_code", None) if isinstance(exc, Unprocessable) else None
    if type_name:
        type_name = type_name.replace("_", "-")
    if isinstance(detail, dict | list):
        errors = _flatten(detail)
        detail = (
            _("Correct the fields listed in errors.")
            if status_code in (400, 422)
            else next(iter(errors.values()))[0]
        )
    elif isinstance(exc, Http404):
        detail = _("There is no such record, or you may not see it.")
    elif isinstance(exc, PermissionDenied):
        detail = _("You may not do this.")
    return problem(
        status_code,
        detail=detail or TITLES.get(status_code, ""),
        instance=instance,
        errors=errors,
        type_name=type_name,
        headers=headers,
    )
