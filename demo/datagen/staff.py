"""Who the generated work is attributed to: the users holding roles, or a generated team."""

import itertools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.permissions import ALL_ROLES, FINANCE, MANAGER, SALES, SERVICE


@dataclass(frozen=True)
class Staff:
    """User ids per duty, weighted by repetition; drawn by position, so the same users give the
    same data whatever ids the database gave them."""

    owners: tuple
    creators: tuple
    authors: tuple
    managers: tuple
    # Invoices, payments and write-offs; support tickets. Empty: the authors do it.
    finance: tuple = ()
    service: tuple = ()

    @classmethod
    def from_users(cls, users=None):
        """Staff from `users` (default: everyone holding a role), by their role groups."""
        queryset = get_user_model().objects.filter(is_active=True, groups__name__in=ALL_ROLES)
        if users is not None:
            queryset = queryset.filter(pk__in=[user.pk for user in users])
        by_role = {role: [] for role in ALL_ROLES}
        for user_id, role in queryset.order_by("username", "groups__name").values_list(
            "id", "groups__name"
        ):
            by_role[role].append(user_id)
        everyone = tuple(dict.fromkeys(itertools.chain.from_iterable(by_role.values())))
        if not everyone:
            return None

        def pick(weights):
            drawn = tuple(
                itertools.chain.from_iterable(by_role[role] * weight for role, weight in weights)
            )
            return drawn or everyone

        return cls(
            # Sales reps own most customers; managers keep a few key accounts.
            owners=pick(((SALES, 4), (MANAGER, 1))),
            creators=pick(((SALES, 3), (SERVICE, 1))),
            authors=pick(((SALES, 3), (SERVICE, 3), (FINANCE, 1), (MANAGER, 1))),
            # Only managers may end a relationship (relationships.end_relationship).
            managers=pick(((MANAGER, 1),)),
            # Write-offs and payments (relationships.write_off, .register_payments): finance, at
            # times a manager.
            finance=pick(((FINANCE, 4), (MANAGER, 1))),
            service=pick(((SERVICE, 1),)),
        )


GENERATOR_STAFF = ((SALES, 4), (SERVICE, 2), (FINANCE, 1), (MANAGER, 1))


def ensure_staff():
    """The staff to attribute data to: the users holding roles, or a generated team if none do."""
    staff = Staff.from_users()
    if staff is not None:
        return staff
    User = get_user_model()
    for role, count in GENERATOR_STAFF:
        group, _ = Group.objects.get_or_create(name=role)
        for number in range(1, count + 1):
            user, created = User.objects.get_or_create(username=f"gen_{role}_{number}")
            if created:
                user.set_unusable_password()
                user.save()
            user.groups.add(group)
    ensure_teams()
    return Staff.from_users()


# The demo's teams (core.models.Team; they decide visibility with CRM_VISIBILITY = "team"):
# the sales reps split between two offices, service working with the Warsaw office, finance
# on its own and the managers leading the Prague office (managers see everything anyway).
SALES_WARSAW = "Sales Warsaw"
SALES_PRAGUE = "Sales Prague"
SERVICE_TEAM = "Service"
FINANCE_TEAM = "Finance"


def ensure_teams(users=None):
    """Put `users` (default: everyone holding a role) into the demo teams; idempotent.
    Returns {user id: [team names]}."""
    from core.models import Team

    queryset = get_user_model().objects.filter(is_active=True, groups__name__in=ALL_ROLES)
    if users is not None:
        queryset = queryset.filter(pk__in=[user.pk for user in users])
    by_role = {role: [] for role in ALL_ROLES}
    for user in queryset.order_by("username").prefetch_related("groups").distinct():
        for group in user.groups.all():
            if group.name in by_role:
                by_role[group.name].append(user)
    sales = by_role[SALES]
    half = (len(sales) + 1) // 2
    placements = {
        SALES_WARSAW: [*sales[:half], *by_role[SERVICE]],
        SALES_PRAGUE: [*sales[half:], *by_role[MANAGER]],
        SERVICE_TEAM: by_role[SERVICE],
        FINANCE_TEAM: by_role[FINANCE],
    }
    teams = {}
    for name, members in placements.items():
        team, _ = Team.objects.get_or_create(name=name)
        team.members.add(*members)
        for member in members:
            teams.setdefault(member.pk, []).append(name)
    return teams
