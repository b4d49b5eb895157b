"""Who the generated work is attributed to: the users holding roles, or a generated team."""

import itertools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from customers import roles


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
        queryset = get_user_model().objects.filter(is_active=True, groups__name__in=roles.ALL_ROLES)
        if users is not None:
            queryset = queryset.filter(pk__in=[user.pk for user in users])
        by_role = {role: [] for role in roles.ALL_ROLES}
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
            owners=pick(((roles.SALES, 4), (roles.MANAGER, 1))),
            creators=pick(((roles.SALES, 3), (roles.SERVICE, 1))),
            authors=pick(
                ((roles.SALES, 3), (roles.SERVICE, 3), (roles.FINANCE, 1), (roles.MANAGER, 1))
            ),
            # Only managers may end a relationship (roles.END_RELATIONSHIP).
            managers=pick(((roles.MANAGER, 1),)),
            # roles.WRITE_OFF and roles.REGISTER_PAYMENTS: finance, sometimes a manager.
            finance=pick(((roles.FINANCE, 4), (roles.MANAGER, 1))),
            service=pick(((roles.SERVICE, 1),)),
        )


GENERATOR_STAFF = ((roles.SALES, 4), (roles.SERVICE, 2), (roles.FINANCE, 1), (roles.MANAGER, 1))


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
    return Staff.from_users()
