"""Admins work in Django admin: every model is there, with history; nobody but a superuser deletes
customers or the people and relationships attached to them."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from customers.models import ContactPerson, Customer
from relationships.models import Interaction, Relationship
from tests.factories import ContactPersonFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_with_all_permissions(db):
    user = UserFactory(username="stan_staff", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["customers", "relationships"])
    )
    return user


@pytest.mark.parametrize("model", [Customer, ContactPerson, Relationship, Interaction])
def test_admin_lists_and_opens_every_model(client, admin_user, customer, model):
    ContactPersonFactory(customer=customer)
    InteractionFactory(customer=customer)
    client.force_login(admin_user)
    opts = model._meta
    assert (
        client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "a"}
        ).status_code
        == 200
    )
    obj = model.objects.first()
    assert (
        client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        ).status_code
        == 200
    )


@pytest.mark.parametrize("model", [Customer, ContactPerson, Relationship])
def test_admin_shows_history(client, admin_user, customer, model):
    """An audited record's admin "History" is its audit."""
    ContactPersonFactory(customer=customer)
    client.force_login(admin_user)
    opts = model._meta
    obj = model.objects.first()
    response = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]), follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == (
        f"{reverse('audit_list')}?model={opts.label_lower}&object_id={obj.pk}"
    )
    lines = response.context["lines"]
    assert lines
    assert {(line.event.model, line.event.object_id) for line in lines} == {
        (opts.label_lower, obj.pk)
    }


def test_staff_who_are_not_superusers_cannot_hard_delete_a_customer(
    client, staff_with_all_permissions, customer
):
    client.force_login(staff_with_all_permissions)
    url = reverse("admin:customers_customer_delete", args=[customer.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()
    # The bulk "delete selected" action is not offered either.
    response = client.get(reverse("admin:customers_customer_changelist"))
    assert response.status_code == 200
    assert b"delete_selected" not in response.content
