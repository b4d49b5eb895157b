"""Who the forms and filters offer as an owner or assignee: active members of a role."""

import pytest

from core.permissions import FINANCE, MANAGER, SALES, SERVICE
from core.users import staff_users
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_active_members_of_any_role_are_offered_once_each_in_name_order():
    UserFactory(username="zoe", roles=[SALES, MANAGER])
    UserFactory(username="adam", roles=[FINANCE])
    UserFactory(username="mia", roles=[SERVICE])
    assert [u.username for u in staff_users()] == ["adam", "mia", "zoe"]


def test_people_without_a_role_or_no_longer_active_are_not_offered():
    UserFactory(username="left", roles=[SALES], is_active=False)
    UserFactory(username="guest")
    UserFactory(username="root", is_staff=True, is_superuser=True)  # an admin holds no role
    UserFactory(username="sally", roles=[SALES])
    assert [u.username for u in staff_users()] == ["sally"]
