"""Who may do what: the roles, the permissions each app declares, and the one function deciding.

Roles are the auth groups `sales`, `service`, `finance` and `manager` (created by a data migration
of `customers`); superusers may do everything. Each app declares what can be done in it, in its
own `permissions.py` (found at start-up like `admin.py`, see `CoreConfig.ready`), naming the roles
granted each permission:

    ISSUE_INVOICES = declare(
        "relationships.issue_invoices", _("Issue invoices"), roles=(FINANCE, MANAGER)
    )

`can(user, permission)` is the only answer to "may this user do that":
- views: `@permission_required(ISSUE_INVOICES)` (log-in first, then 403);
- services: `if not can(by, ISSUE_INVOICES): raise PermissionDenied`;
- templates: `{% if perms.relationships.issue_invoices %}`. Django's `user.has_perm()` (and so
  the `perms` of every template, the admin and any API built on Django's permissions) reaches
  `can()` through `PermissionBackend`, listed in AUTHENTICATION_BACKENDS before ModelBackend.

Record-level rules (whose customer, which team) are not decided here: the access helpers of each
app (`get_customer_for_user` ...) check a permission, then look the record up.

A user's roles are read once per user object (one query) and kept on it under the attribute
`ROLES_CACHE_ATTRIBUTE`; `request.user` lives for one request, so a change of groups counts
from the next request on.
"""

import re
from dataclasses import dataclass, field
from functools import wraps

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils.translation import gettext_lazy as _

from . import fastpath

SALES = "sales"
SERVICE = "service"
FINANCE = "finance"
MANAGER = "manager"

ROLE_LABELS = {
    SALES: _("Sales"),
    SERVICE: _("Service"),
    FINANCE: _("Finance"),
    MANAGER: _("Manager"),
}
ALL_ROLES = tuple(ROLE_LABELS)

CODENAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Permission:
    """Something a user may do, e.g. `relationships.issue_invoices`, and the roles granted it."""

    codename: str
    label: str = field(compare=False)
    roles: frozenset

    @property
    def app_label(self):
        return self.codename.partition(".")[0]

    def __str__(self):
        return self.codename


class Registry:
    """The declared permissions, by codename. A codename may be declared once."""

    def __init__(self):
        self._permissions = {}

    def declare(self, codename, label, *, roles):
        if not CODENAME.match(codename):
            raise ImproperlyConfigured(
                f"Permission {codename!r}: a codename is '<app_label>.<name>' in lower case."
            )
        if codename in self._permissions:
            raise ImproperlyConfigured(f"Permission {codename!r} is declared twice.")
        granted = frozenset(roles)
        if not granted or not granted <= set(ALL_ROLES):
            raise ImproperlyConfigured(
                f"Permission {codename!r}: roles must be some of {', '.join(ALL_ROLES)}."
            )
        permission = Permission(codename=codename, label=label, roles=granted)
        self._permissions[codename] = permission
        return permission

    def get(self, codename):
        return self._permissions.get(codename)

    def __getitem__(self, codename):
        try:
            return self._permissions[codename]
        except KeyError:
            raise LookupError(f"No permission {codename!r} is declared.") from None

    def __contains__(self, permission):
        codename = permission.codename if isinstance(permission, Permission) else permission
        return codename in self._permissions

    def __iter__(self):
        return iter(sorted(self._permissions.values(), key=lambda p: p.codename))

    def __len__(self):
        return len(self._permissions)


registry = Registry()
declare = registry.declare

ROLES_CACHE_ATTRIBUTE = "_permission_roles"


# Asked on every page: compiled once per process (core.fastpath).
_role_rows = fastpath.UserRows(
    lambda user: (
        apps.get_model("auth", "Group").objects.filter(user=user, name__in=ALL_ROLES).values("name")
    )
)


def user_roles(user):
    """The role names the user holds (every role for a superuser), read once per user object."""
    if not user.is_authenticated:
        return frozenset()
    roles = getattr(user, ROLES_CACHE_ATTRIBUTE, None)
    if roles is None:
        if user.is_superuser:
            roles = frozenset(ALL_ROLES)
        else:
            roles = frozenset(row["name"] for row in _role_rows(user))
        setattr(user, ROLES_CACHE_ATTRIBUTE, roles)
    return roles


def can(user, permission):
    """Whether `user` may do `permission` (a Permission or its codename): an active superuser
    always, another active user when holding one of the roles granted it, nobody else."""
    if not isinstance(permission, Permission):
        permission = registry[permission]
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or not user_roles(user).isdisjoint(permission.roles)


def permission_required(permission):
    """View decorator: log-in required, then 403 unless `can(request.user, permission)`.

    The wrapped view keeps the permission as `view.permission` (tests walk the URLconf with it).
    """
    if not isinstance(permission, Permission):
        raise TypeError(f"permission_required() takes a declared Permission, not {permission!r}.")

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not can(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.permission = permission
        return wrapper

    return decorator


class PermissionBackend:
    """Answers Django's `user.has_perm("app.name")` for declared permissions with `can()`.

    A declared permission is decided here and only here: refused ones raise PermissionDenied,
    which stops Django from asking the next backend. Other names (the admin's model permissions
    such as `processes.change_processdefinition`) are left to ModelBackend. Object permissions
    (`has_perm(perm, obj)`) are not judged here. This backend never logs anyone in: it has no
    `get_user`, so sessions and `Client.force_login` never pick it.
    """

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user, perm, obj=None):
        permission = registry.get(perm)
        if permission is None or obj is not None:
            return False
        if can(user, permission):
            return True
        raise PermissionDenied

    def get_all_permissions(self, user, obj=None):
        if obj is not None:
            return set()
        return {permission.codename for permission in registry if can(user, permission)}


def check_declared_permissions_are_not_model_permissions(app_configs=None, **kwargs):
    """A declared codename equal to a model permission would take the admin's answer away from
    ModelBackend: PermissionBackend decides declared names first."""
    model_permissions = set()
    for model in apps.get_models():
        opts = model._meta
        actions = [f"{action}_{opts.model_name}" for action in opts.default_permissions]
        actions += [codename for codename, _label in opts.permissions]
        model_permissions.update(f"{opts.app_label}.{action}" for action in actions)
    return [
        checks.Error(
            f"The declared permission {permission.codename!r} is also a model permission.",
            hint="Name the declared permission differently.",
            obj=permission.codename,
            id="core.E001",
        )
        for permission in registry
        if permission.codename in model_permissions
    ]


# core's own permissions (core is the registry's home, so they are declared here rather than in
# a permissions.py of their own).
VIEW_AUDIT = declare(
    "core.view_audit", _("See the audit: every change and security event"), roles=(MANAGER,)
)
