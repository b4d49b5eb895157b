"""The people who work in the CRM, as the apps offer them in their forms and filters."""

from django.contrib.auth import get_user_model

from .permissions import ALL_ROLES


def staff_users():
    """Users who can own customers, processes and tasks: active members of a role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=ALL_ROLES)
        .distinct()
        .order_by("username")
    )
