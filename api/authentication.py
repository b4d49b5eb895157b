"""`Authorization: Bearer <token>`: the request acts as the token's user.

The user must be active; the token unrevoked and unexpired. The user's roles and record access
then apply as on the screens (core.permissions, core.visibility), and the messages are in the
language chosen on the user's profile (else Accept-Language, as for the pages).
"""

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from core.i18n import profile_language

from .models import TOKEN_PREFIX, ApiToken, hash_secret
from .services import token_touch

KEYWORD = "Bearer"


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Bearer <token>”.")
            )
        try:
            secret = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        if not secret.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        token = (
            ApiToken.objects.usable()
            .select_related("user__crm_profile")
            .filter(secret_hash=hash_secret(secret))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("This token is not valid: it is unknown, expired or revoked.")
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This token's user is inactive."))
        token_touch(token)
        language = profile_language(token.user)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return token.user, token

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'
