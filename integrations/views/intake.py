"""The public endpoint a website's form posts to: POST /forms/<slug>/?token=… (no log-in).

It answers a browser's plain HTML form (form-encoded; a redirect or a thank-you page) and a
script (JSON in, JSON out). What a post must get past, in this order:

1. the form exists, is active and the token matches (in the URL or the X-CRM-Form-Token
   header), else 404, so neither a form's existence nor its address is confirmed;
2. the Origin, when the browser sends one, is the form's allowed origin, else 403;
3. the rate limits, per client address and per form (WEBFORM_RATE_LIMIT_PER_ADDRESS,
   WEBFORM_RATE_LIMIT_PER_FORM, per minute), else 429 with Retry-After;
4. the honeypot: a field people do not see (hidden by the snippet's CSS); a bot that fills it
   is answered as if all went well, and nothing is saved;
5. the fields' bounds, else 400 with each field's errors.

A created customer and a recognised one get the same answer, so a form cannot be used to find
out whether someone is a customer.
"""

import hmac
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.clientip import client_ip

from .. import ratelimit, services
from ..forms import IntakeForm
from ..models import WebForm
from ..validators import normal_origin

HONEYPOT_FIELD = "homepage"
TOKEN_HEADER = "X-CRM-Form-Token"
WINDOW = 60  # seconds of the rate limits


def _wants_json(request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def _cors(response, webform: WebForm, origin: str):
    if origin and webform.allowed_origin:
        response["Access-Control-Allow-Origin"] = normal_origin(webform.allowed_origin)
        response["Vary"] = "Origin"
    return response


def _data(request) -> dict | None:
    """The posted fields as strings; None when a JSON body is not an object of plain values."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(body, dict):
            return None
        if not all(isinstance(value, str | int | float | type(None)) for value in body.values()):
            return None
        return {str(key): "" if value is None else str(value) for key, value in body.items()}
    return {key: request.POST.get(key, "") for key in request.POST}


def _messages(errors) -> dict:
    """{field: [message, …]}, "__all__" for what concerns the whole post."""
    return {field: [str(message) for message in messages] for field, messages in errors.items()}


def _received(request, webform: WebForm, origin: str):
    if _wants_json(request):
        return _cors(JsonResponse({"status": "received"}), webform, origin)
    if webform.redirect_url:
        return HttpResponseRedirect(webform.redirect_url, status=303)
    return render(request, "integrations/intake_received.html", {"webform": webform})


def _refused(request, webform: WebForm, origin: str, *, errors: dict, status: int):
    if _wants_json(request):
        return _cors(JsonResponse({"errors": errors}, status=status), webform, origin)
    return render(
        request,
        "integrations/intake_refused.html",
        {"webform": webform, "errors": errors},
        status=status,
    )


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def webform_post(request, slug):
    webform = WebForm.objects.filter(slug=slug, active=True).first()
    if webform is None:
        raise Http404
    origin = request.headers.get("Origin", "")
    if (
        origin
        and webform.allowed_origin
        and normal_origin(origin) != normal_origin(webform.allowed_origin)
    ):
        return HttpResponse(status=403)
    if request.method == "OPTIONS":  # a script's preflight, before it may send JSON
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "POST"
        response["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}"
        response["Access-Control-Max-Age"] = "600"
        return _cors(response, webform, origin)
    token = request.GET.get("token") or request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(token.encode(), webform.token.encode()):
        raise Http404
    for scope, limit in (
        (
            f"webform:{webform.pk}:address:{client_ip(request)}",
            settings.WEBFORM_RATE_LIMIT_PER_ADDRESS,
        ),
        (f"webform:{webform.pk}", settings.WEBFORM_RATE_LIMIT_PER_FORM),
    ):
        verdict = ratelimit.hit(scope, limit=limit, window=WINDOW)
        if not verdict.allowed:
            response = _refused(
                request,
                webform,
                origin,
                errors={"__all__": [_("Too many posts; try again in a minute.")]},
                status=429,
            )
            response["Retry-After"] = str(verdict.retry_after)
            return response
    data = _data(request)
    if data is None:
        return _refused(
            request,
            webform,
            origin,
            errors={"__all__": [_("Send a JSON object of field names and values.")]},
            status=400,
        )
    if data.get(HONEYPOT_FIELD):
        return _received(request, webform, origin)
    form = IntakeForm(data)
    if not form.is_valid():
        return _refused(request, webform, origin, errors=_messages(form.errors), status=400)
    try:
        services.webform_submit(webform=webform, data=form.cleaned_data)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        return _refused(request, webform, origin, errors=_messages(errors), status=400)
    return _received(request, webform, origin)
