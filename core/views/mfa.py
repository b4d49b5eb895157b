"""The user's two-factor authentication pages: the overview, enrolment, the recovery codes
(shown once), and turning it off. Open to every logged-in user: each acts on the user's own
devices only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from .. import mfa
from ..auth import DisableForm, EnrolForm
from .login import throttled_message

NEW_CODES_KEY = "crm_mfa_new_codes"


@login_required
@never_cache
def mfa_overview(request):
    user = request.user
    return render(
        request,
        "core/mfa_overview.html",
        {
            "device": mfa.confirmed_device(user),
            "codes_left": mfa.recovery_codes_left(user),
            "required": mfa.required_for(user),
        },
    )


@login_required
@never_cache
def mfa_enrol(request):
    user = request.user
    if mfa.confirmed_device(user) is not None:
        messages.info(request, _("Two-factor authentication is already on."))
        return redirect("mfa_overview")
    device = mfa.pending_device(user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.enrolment_confirm(user=user, device=device, code=form.cleaned_data["code"]):
            # This session proved the second factor: it stays logged in, under a new key.
            request.session.cycle_key()
            otp_login(request, device)
            request.session[mfa.SESSION_KEY] = mfa.VERIFIED
            request.session[NEW_CODES_KEY] = mfa.recovery_codes_regenerate(user=user)
            messages.success(request, _("Two-factor authentication is on."))
            return redirect("mfa_recovery_codes")
        form.add_error(
            "code",
            _(
                "This code is not right. Check the phone's clock, and type the code the app "
                "shows now."
            ),
        )
    return render(
        request,
        "core/mfa_enrol.html",
        {
            "form": form,
            "qr_data_uri": mfa.qr_data_uri(device),
            "secret": mfa.secret_text(device),
            "required": mfa.required_for(user),
        },
    )


@login_required
@never_cache
def mfa_recovery_codes(request):
    """The codes just made, once: after this page only their number is known."""
    codes = request.session.pop(NEW_CODES_KEY, None)
    if not codes:
        messages.info(
            request,
            _(
                "Recovery codes are shown only once, when they are made. Make new ones if you "
                "need to."
            ),
        )
        return redirect("mfa_overview")
    return render(request, "core/mfa_recovery_codes.html", {"codes": codes})


@login_required
@never_cache
def mfa_recovery_codes_regenerate(request):
    """GET asks for confirmation (the old codes stop working), POST makes the new ones."""
    if mfa.confirmed_device(request.user) is None:
        return redirect("mfa_overview")
    if request.method == "POST":
        request.session[NEW_CODES_KEY] = mfa.recovery_codes_regenerate(user=request.user)
        messages.success(request, _("New recovery codes are made; the old ones no longer work."))
        return redirect("mfa_recovery_codes")
    return render(
        request,
        "core/mfa_recovery_codes_regenerate.html",
        {"codes_left": mfa.recovery_codes_left(request.user)},
    )


@sensitive_post_parameters("password", "code")
@login_required
@never_cache
def mfa_disable(request):
    user = request.user
    if mfa.confirmed_device(user) is None:
        return redirect("mfa_overview")
    form = DisableForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa.verify(user, form.cleaned_data["code"])
        except mfa.Throttled as throttled:
            form.add_error("code", throttled_message(throttled))
        else:
            if device is None:
                form.add_error("code", _("This code is not right (or was already used)."))
        if form.is_valid():  # the code was right: no error was added
            mfa.mfa_disable(user=user)
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            request.session[mfa.SESSION_KEY] = mfa.state_for(request, user)
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("mfa_overview")
    return render(request, "core/mfa_disable.html", {"form": form})
