"""How each staff member hears of alerts (stall warnings, SLA breaches, escalations, approvals
requested): by e-mail when they happen, or only in the daily digest (UserProfile.alerts_by_email).
Every alert is in the app and in the digest either way."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.translation import gettext as _

from .models import UserProfile


def alerts_at_once(user) -> bool:
    """Whether `user` wants alerts e-mailed when they happen (the default, without a profile)."""
    try:
        return user.crm_profile.alerts_by_email != UserProfile.Alerts.DIGEST
    except (ObjectDoesNotExist, AttributeError):
        return True


def profile_set_alerts(*, user, alerts_by_email) -> UserProfile:
    """Save how `user` hears of alerts, creating the profile on the first choice."""
    if alerts_by_email not in UserProfile.Alerts.values:
        raise ValidationError(
            {"alerts_by_email": _("Choose how you hear of alerts.")}, code="invalid_choice"
        )
    profile, _created = UserProfile.objects.get_or_create(user=user)
    profile.alerts_by_email = alerts_by_email
    profile.full_clean()
    profile.save(update_fields=["alerts_by_email"])
    user.crm_profile = profile
    return profile
