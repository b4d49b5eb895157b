"""Logging in: the password, then (for a user with an authenticator) a code.

The password step is Django's LoginView; for a user with a confirmed device it does not log in
but remembers who passed it in the session (rotated, so a session id planted before cannot be
the one that ends up logged in) and asks for a code. The code step logs in (Django rotates the
session key again), marks the session as verified, and counts a wrong code as a failed log-in
for django-axes and the limits in core.login_limits, like a wrong password.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from .. import mfa
from ..auth import CodeForm, LoginForm
from ..login_limits import known_address_record

PENDING_KEY = "crm_login_pending"
# The code must follow the password within this many seconds.
PENDING_SECONDS = 300


class CrmLoginView(LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if mfa.confirmed_device(user) is None:
            response = super().form_valid(form)
            known_address_record(user=user, request=self.request)
            return response
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("login_verify")


login = CrmLoginView.as_view()


def throttled_message(throttled):
    return ngettext(
        "Several wrong codes in a row: wait %(seconds)s second, then type the code again.",
        "Several wrong codes in a row: wait %(seconds)s seconds, then type the code again.",
        throttled.seconds,
    ) % {"seconds": throttled.seconds}


def _pending_user(request):
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_verify(request):
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("Log in with your password first; then give the code."))
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
        # The lock-outs of the password step hold here too (axes answers with its page).
        from axes.handlers.proxy import AxesProxyHandler

        if not AxesProxyHandler.is_allowed(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            return render(request, "registration/login_verify.html", {"form": form})
        try:
            device = mfa.verify(user, form.cleaned_data["code"])
        except mfa.Throttled as throttled:
            form.add_error("code", throttled_message(throttled))
            return render(request, "registration/login_verify.html", {"form": form})
        if device is None:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            form.add_error("code", _("This code is not right (or was already used)."))
        else:
            del request.session[PENDING_KEY]
            user.backend = pending["backend"]
            auth_login(request, user)
            otp_login(request, device)
            request.session[mfa.SESSION_KEY] = mfa.VERIFIED
            known_address_record(user=user, request=request)
            if isinstance(device, StaticDevice):
                left = mfa.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You logged in with a recovery code, which is now spent; %(left)s is "
                        "left. Make new ones under Two-factor authentication if you run short.",
                        "You logged in with a recovery code, which is now spent; %(left)s are "
                        "left. Make new ones under Two-factor authentication if you run short.",
                        left,
                    )
                    % {"left": left},
                )
            target = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target)
    return render(request, "registration/login_verify.html", {"form": form})
