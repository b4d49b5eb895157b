"""The user menu's language choice: saved on the profile, then back to the same page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_POST

from ..i18n import profile_set_language
from .helpers import redirect_back, run_action


@login_required
@require_POST
def language_choose(request):
    """Save the chosen language on the user's profile (created on the first choice).

    The language cookie is set as well, so that the log-in page after logging out speaks the
    same language on this browser.
    """
    language = request.POST.get("language", "")
    response = redirect_back(request, settings.LOGIN_REDIRECT_URL)
    if run_action(request, profile_set_language, user=request.user, language=language):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
