"""The API refuses an asset whose serial number differs from a taken one only in case (the
service's rule: a 422), and an installation date in the future (the field's bounds: a 400),
each beside its field, as the form does."""

from datetime import timedelta

import pytest
from django.utils import timezone

from relationships.models import Asset
from tests.factories import AssetFactory, CustomerFactory

from .conftest import problem_of

pytestmark = pytest.mark.django_db


def _asset(customer, **overrides):
    return {
        "customer": customer.pk,
        "name": "Multifunction printer",
        "model": "Canon iR-ADV C5840",
        "serial_number": "cnr123",
        "installed_on": timezone.localdate().isoformat(),
        **overrides,
    }


def test_a_serial_number_differing_only_in_case_is_a_422_beside_the_serial_number(api_as, manager):
    AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR123")
    customer = CustomerFactory(owner=manager)
    response = api_as(manager).post("/api/v1/assets/", _asset(customer), format="json")
    assert response.status_code == 422
    assert problem_of(response)["errors"] == {
        "serial_number": [
            "An asset of this model with this serial number already exists "
            "(capital and small letters count as the same)."
        ]
    }
    assert not Asset.objects.filter(customer=customer).exists()


def test_an_installation_in_the_future_is_a_400_beside_the_date(api_as, manager):
    customer = CustomerFactory(owner=manager)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = api_as(manager).post(
        "/api/v1/assets/", _asset(customer, installed_on=tomorrow), format="json"
    )
    assert response.status_code == 400
    assert list(problem_of(response)["errors"]) == ["installed_on"]
    assert not Asset.objects.filter(customer=customer).exists()
