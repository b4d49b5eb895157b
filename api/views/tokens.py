"""The user's personal API tokens: create (the secret shown once), list, revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.views.helpers import apply_service_errors

from ..forms import TokenCreateForm
from ..models import ApiToken
from ..services import token_create, token_revoke

NEW_SECRET_KEY = "api_new_token_secret"


@login_required
@never_cache
def token_list(request):
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = token_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            # Shown once, on the next page, then gone: only its hash is stored.
            request.session[NEW_SECRET_KEY] = [token.pk, secret]
            messages.success(request, _("Token created. Copy it now: it is shown only once."))
            return redirect("api:token_list")
    new_pk, new_secret = request.session.pop(NEW_SECRET_KEY, [None, None])
    return render(
        request,
        "api/token_list.html",
        {
            "form": form,
            "tokens": ApiToken.objects.filter(user=request.user),
            "new_secret": new_secret,
            "new_pk": new_pk,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def token_revoke_view(request, pk):
    # Only the user's own tokens: anyone else's is a 404, not a hint that it exists.
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)
    token_revoke(token=token, by=request.user)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api:token_list")
