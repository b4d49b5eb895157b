"""DRF permission classes. What a user may do is core.permissions' `can()` and the apps' access
helpers, asked in the views as the screens ask them; here only what the API adds."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import ApiToken


class TokenAccess(BasePermission):
    """A read-only token may read (GET, HEAD, OPTIONS) and nothing else."""

    message = _("This token is read-only: create a read-write token to change records.")

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return not (isinstance(request.auth, ApiToken) and request.auth.read_only)
