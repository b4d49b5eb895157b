"""Whose records a user sees and edits: the one rule behind every list, search, export and lookup.

`core.permissions.can()` decides WHAT a role may do; this module decides WHOSE customers. A record
attached to a customer (a contact person, contract, invoice, process, task ...) follows its
customer. Two settings of `CRM_VISIBILITY`:

- "all" (the default): staff see every customer. The lists run the same SQL as without this
  module: `visible_to()` adds no filter and this module makes no query.
- "team": a user sees the customers owned by themselves or by a member of one of their teams
  (`core.models.Team`; a user may be in several), plus the customers nobody owns yet, the
  unassigned pool from which new leads are picked up. Managers and superusers see every customer.
  Finance sees the financial records of every customer (invoices and their payments, payouts,
  collection cases: what the apps register with `register_finance_records`) and the customers
  those records belong to, with what is attached to them, read-only unless their own team owns it.

Editing, in both modes: a customer and everything attached to it is changed by its owner, a
member of one of the owner's teams, or a manager (or superuser); a customer nobody owns by anyone
holding the role permission. Finance actions on finance records (issuing and editing invoices,
payments, write-offs, paying payouts, collection cases) follow the finance permissions alone.

The QuerySet side is `CustomerRecordQuerySet` (and `Customer.objects.visible_to(user)` in
`customers`), the object side `can_see_owner()` / `can_edit_owner()`; the per-type access helpers
(`get_customer_for_user` ...) use both: an invisible record is a 404, a visible one the user may
not change a 403.

A user's team-mates are read once per user object (one query) and kept on it, like the roles:
`request.user` lives for one request.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from .permissions import FINANCE, MANAGER, user_roles

ALL = "all"
TEAM = "team"
MODES = (ALL, TEAM)

TEAM_CACHE_ATTRIBUTE = "_visibility_team_member_ids"

# The models of financial records (each with a `customer` foreign key), registered by the apps
# that hold them (relationships: invoices, payouts, contracts), so that the layers below them
# (customers) need not import them.
_finance_models = []


def register_finance_records(model):
    """Finance sees the customers that have a `model` record in team mode."""
    if model not in _finance_models:
        _finance_models.append(model)


def _finance_sources():
    return [model.objects.values("customer_id") for model in _finance_models]


class NotEditable(PermissionDenied):
    """A refusal about whose record it is, not about the user's role: the user sees the record
    but is not on its owner's side. Its message, set by the access helpers, is the 403 page's
    explanation (core.views.errors); the message of any other PermissionDenied is not shown."""


def mode():
    return settings.CRM_VISIBILITY


def team_mode():
    return settings.CRM_VISIBILITY == TEAM


def is_manager(user):
    """Managers and superusers see and edit every customer, in both modes."""
    return user.is_authenticated and (user.is_superuser or MANAGER in user_roles(user))


def is_finance(user):
    return user.is_authenticated and (user.is_superuser or FINANCE in user_roles(user))


def team_member_ids(user):
    """The user and every member of every team the user belongs to (one query per user object)."""
    ids = getattr(user, TEAM_CACHE_ATTRIBUTE, None)
    if ids is None:
        from .models import Team

        members = Team.members.through.objects.filter(
            team__in=Team.members.through.objects.filter(user=user).values("team_id")
        ).values_list("user_id", flat=True)
        ids = frozenset([user.pk, *members])
        setattr(user, TEAM_CACHE_ATTRIBUTE, ids)
    return ids


def sees_every_customer(user):
    """True when no filter applies: "all" mode, or a manager or superuser. No query in "all"."""
    return not team_mode() or is_manager(user)


def sees_all_finance(user):
    """Whether the user sees every financial record (finance, managers, superusers; everyone in
    "all" mode)."""
    return sees_every_customer(user) or is_finance(user)


def _finance_customers_q(path):
    condition = Q(pk__in=[])
    for source in _finance_sources():
        condition |= Q(**{f"{path}pk__in": source})
    return condition


def visible_q(user, path=""):
    """The condition on customers (`path` leads to the customer: "customer__") a user sees, or
    None when the user sees them all."""
    if sees_every_customer(user):
        return None
    if not user.is_authenticated:
        return Q(pk__in=[])
    condition = Q(**{f"{path}owner__in": team_member_ids(user)}) | Q(
        **{f"{path}owner__isnull": True}
    )
    if is_finance(user):
        condition |= _finance_customers_q(path)
    return condition


def editable_q(user, path=""):
    """The condition on customers a user may change things of, or None when every customer."""
    if is_manager(user):
        return None
    if not user.is_authenticated:
        return Q(pk__in=[])
    return Q(**{f"{path}owner__in": team_member_ids(user)}) | Q(**{f"{path}owner__isnull": True})


def can_edit_owner(user, owner_id):
    """Whether the user may change a customer owned by `owner_id` (None: nobody) and what is
    attached to it; the role permission is asked separately."""
    return (
        owner_id is None
        or owner_id == user.pk
        or is_manager(user)
        or owner_id in team_member_ids(user)
    )


def can_see_owner(user, owner_id, *, customer_id=None):
    """Whether the user sees a customer owned by `owner_id`; `customer_id` lets a finance user
    in team mode see a customer with financial records (one query)."""
    if sees_every_customer(user) or can_edit_owner(user, owner_id):
        return True
    if customer_id is not None and is_finance(user):
        return any(source.filter(customer_id=customer_id).exists() for source in _finance_sources())
    return False


class CustomerRecordQuerySet(models.QuerySet):
    """Records attached to a customer: they are seen and edited as their customer is.

    `customer_path` leads from the record to its customer; a model of financial records sets
    `finance_records = True`, so finance (and managers) see all of them in team mode.
    """

    customer_path = "customer__"
    finance_records = False

    def visible_to(self, user):
        if self.finance_records and sees_all_finance(user):
            return self
        condition = visible_q(user, self.customer_path)
        return self if condition is None else self.filter(condition)

    def editable_by(self, user):
        condition = editable_q(user, self.customer_path)
        return self if condition is None else self.filter(condition)


class FinanceRecordQuerySet(CustomerRecordQuerySet):
    finance_records = True


def check_visibility_setting(app_configs=None, **kwargs):
    """core.E003: CRM_VISIBILITY is "all" or "team"; anything else would silently show all."""
    value = getattr(settings, "CRM_VISIBILITY", None)
    if value in MODES:
        return []
    return [
        checks.Error(
            f"CRM_VISIBILITY is {value!r}; it must be one of: {', '.join(MODES)}.",
            hint='"all": staff see every customer; "team": their own team\'s and unowned ones.',
            id="core.E003",
        )
    ]
