from . import roles as role_rules


class _Can:
    """`{% if can.edit_customers %}` in templates; mirrors the checks the views make."""

    def __init__(self, user):
        self._user = user

    def __getattr__(self, name):
        allowed = getattr(role_rules, name.upper(), None)
        if not isinstance(allowed, tuple):
            raise AttributeError(name)
        return role_rules.has_role(self._user, allowed)


def roles(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}
    # Sorted: shown in the user menu, and part of the cache key of the main navigation.
    return {"can": _Can(user), "user_roles": tuple(sorted(role_rules.user_roles(user)))}
