"""Which language each reader gets: staff in the pages and in their e-mails, a customer's
contact persons in theirs.

In the browser the active language is the one chosen on the user's profile, else the browser's
(the language cookie, which the log-in page's choice and the user menu set, then the
Accept-Language header, among LANGUAGES), else LANGUAGE_CODE. Django's LocaleMiddleware does the
browser's part; `UserLanguageMiddleware`, right after AuthenticationMiddleware, puts the
profile's choice over it. The profile arrives with the user in the one query that loads the
user (`core.auth.ProfileModelBackend`), so no request pays a query for it.

An e-mail has no browser: it is written in `user_language(recipient)` (the profile's language,
else LANGUAGE_CODE) or a contact person's own language, inside `translation.override`, so the
subject, the body, dates, amounts and links all follow the reader, whether a request, a Celery
task or a management command sends it.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import UserProfile

# Where a country's customers read their mail in one of the interface's languages. Slovakia:
# Czech, which Slovaks read as easily as their own language and receive business letters in.
# Russian where it is an official language (Russia, Belarus, Kazakhstan, Kyrgyzstan) or the
# constitutional language between the nations (Tajikistan). Not Ukraine, the Baltic states,
# Moldova or the Caucasus: Russian is not an official language there and many customers would
# take a Russian letter they did not ask for amiss; they get LANGUAGE_CODE, and the contact's
# language field takes any choice.
COUNTRY_LANGUAGES = {
    "PL": "pl",
    "CZ": "cs",
    "SK": "cs",
    "RU": "ru",
    "BY": "ru",
    "KZ": "ru",
    "KG": "ru",
    "TJ": "ru",
}


# Each language offered by its own name, whatever the page's language: a reader who does not
# understand the page still finds theirs. Deliberately not translated.
LANGUAGE_NAMES = {"en": "English", "pl": "Polski", "cs": "Čeština", "ru": "Русский"}


def language_choices():
    """(code, name in that language) for every language of the interface, in LANGUAGES order."""
    return [(code, LANGUAGE_NAMES.get(code, str(name))) for code, name in settings.LANGUAGES]


def is_supported(language) -> bool:
    return bool(language) and language in dict(settings.LANGUAGES)


def language_for_country(country) -> str:
    """The language a new contact person of a customer in `country` (ISO 3166) is written to
    in, when nobody chose one: see COUNTRY_LANGUAGES; else LANGUAGE_CODE."""
    language = COUNTRY_LANGUAGES.get((country or "").strip().upper())
    return language if is_supported(language) else settings.LANGUAGE_CODE


def profile_language(user) -> str:
    """The language chosen on `user`'s profile; "" when none was chosen or there is no profile
    (users made by createsuperuser or the admin have none until they choose)."""
    try:
        language = user.crm_profile.language
    except (ObjectDoesNotExist, AttributeError):
        return ""
    return language if is_supported(language) else ""


def user_language(user) -> str:
    """The language to write to `user` in where there is no browser to ask (e-mails)."""
    return profile_language(user) or settings.LANGUAGE_CODE


def page_language() -> str:
    """The language of the page being answered, to be kept with work done later for its
    reader (an import's messages, an export's file): a user without a language on their
    profile reads the browser's, which a worker cannot ask."""
    language = translation.get_language()
    return language if is_supported(language) else ""


def work_language(stored: str, user) -> str:
    """The language of background work asked from a page: the one chosen on the user's
    profile (the pages are in it too), else the page's, kept when the work was asked
    (`page_language`), else LANGUAGE_CODE."""
    return profile_language(user) or (stored if is_supported(stored) else settings.LANGUAGE_CODE)


def profile_set_language(*, user, language) -> UserProfile:
    """Save `language` as `user`'s choice, creating the profile on the first choice."""
    if not is_supported(language):
        raise ValidationError(
            _("“%(language)s” is not one of the interface's languages."),
            code="invalid_language",
            params={"language": language},
        )
    profile, _created = UserProfile.objects.get_or_create(user=user)
    profile.language = language
    profile.full_clean()
    profile.save(update_fields=["language"])
    user.crm_profile = profile  # the rest of this request sees the choice
    return profile


class UserLanguageMiddleware:
    """Activates the language chosen on the logged-in user's profile; without one, the
    language LocaleMiddleware found (cookie, Accept-Language, LANGUAGE_CODE) stays."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = profile_language(user)
            if language and language != translation.get_language():
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


@receiver(user_logged_in)
def _keep_the_language_chosen_at_login(sender, request, user, **kwargs):
    """A language chosen on the log-in page (Django's set_language, in the cookie) becomes the
    profile's when the user has not chosen one yet; an earlier choice on the profile wins."""
    if request is None or profile_language(user):
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if is_supported(chosen):
        profile_set_language(user=user, language=chosen)
