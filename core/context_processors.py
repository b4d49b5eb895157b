from .permissions import user_roles


def roles(request):
    """The user's role names, sorted: shown in the user menu, and part of the cache key of the
    main navigation. What a user may do is asked with `{% if perms.<app>.<name> %}`."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"user_roles": tuple(sorted(user_roles(user)))}
