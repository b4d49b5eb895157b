"""My settings' alerts choice: e-mailed at once, or only in the daily digest."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..alerts import profile_set_alerts
from ..models import UserProfile
from .helpers import redirect_back, run_action


@login_required
@require_POST
def alerts_choose(request):
    choice = request.POST.get("alerts_by_email", "")
    if run_action(request, profile_set_alerts, user=request.user, alerts_by_email=choice):
        if choice == UserProfile.Alerts.DIGEST:
            messages.success(request, _("Alerts will only be listed in your daily digest."))
        else:
            messages.success(request, _("Alerts will be e-mailed to you when they happen."))
    return redirect_back(request, "analytics:my_settings")
