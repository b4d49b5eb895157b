"""The unsubscribe link of a mailing: signed, no log-in, one click.

GET shows a page with one button (a mail scanner that follows links must not unsubscribe
anyone); POST records it, from that button or from a mail program's RFC 8058 one-click POST
(`List-Unsubscribe=One-Click`), which has no CSRF token: the signed link is the credential.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..services import mailings as services


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    recipient = services.recipient_for_token(token)
    if recipient is None:
        return render(request, "mail/unsubscribe_invalid.html", status=404)
    with translation.override(recipient.language):
        if request.method == "POST":
            services.mailing_unsubscribe(recipient=recipient)
            if request.POST.get("List-Unsubscribe") == "One-Click":
                return HttpResponse(
                    translation.gettext("You are unsubscribed."), content_type="text/plain"
                )
            return render(request, "mail/unsubscribe_done.html", {"recipient": recipient})
        return render(request, "mail/unsubscribe.html", {"recipient": recipient})
