"""An asset's serial number is one device per model whatever the case it is typed in, the taken
serial is said beside the serial number (also when the twin was committed meanwhile), and the
installation date cannot be in the future."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from relationships import services
from relationships.models import Asset
from tests.factories import AssetFactory, CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("personas_in_one_team")]

TAKEN = (
    "An asset of this model with this serial number already exists "
    "(capital and small letters count as the same)."
)


def _asset_data(**overrides):
    return {
        "name": "Multifunction printer",
        "model": "Canon iR-ADV C5840",
        "serial_number": "cnr123",
        "installed_on": timezone.localdate().isoformat(),
        "location": "Reception",
        "status": "in_use",
        **overrides,
    }


def _post(client, customer, **overrides):
    return client.post(
        reverse("relationships:asset_create", args=[customer.pk]), _asset_data(**overrides)
    )


def test_a_serial_number_differing_only_in_case_is_refused_beside_the_serial_number(
    persona_client, service_agent, customer
):
    AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR123")
    response = _post(persona_client(service_agent), customer)
    assert response.status_code == 200
    assert response.context["form"].errors == {"serial_number": [TAKEN]}
    assert not customer.assets.exists()


def test_the_taken_serial_is_not_a_banner_on_top_of_the_form(
    persona_client, service_agent, customer
):
    AssetFactory(model="Canon iR-ADV C5840", serial_number="cnr123")
    form = _post(persona_client(service_agent), customer).context["form"]
    assert form.non_field_errors() == []
    assert form.errors["serial_number"] == [TAKEN]


def test_the_model_is_compared_whatever_its_case_too(persona_client, service_agent, customer):
    AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR123")
    response = _post(persona_client(service_agent), customer, model="canon ir-adv c5840")
    assert response.context["form"].errors == {"serial_number": [TAKEN]}


def test_the_same_serial_of_another_model_is_another_device(
    persona_client, service_agent, customer
):
    AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR123")
    response = _post(persona_client(service_agent), customer, model="Canon iR-ADV C3830")
    assert response.status_code == 302
    assert customer.assets.get().serial_number == "cnr123"


def test_editing_an_asset_to_a_case_twin_is_refused_beside_the_serial_number(
    persona_client, service_agent, customer
):
    AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR123")
    asset = AssetFactory(customer=customer, model="Canon iR-ADV C5840", serial_number="CNR124")
    response = persona_client(service_agent).post(
        reverse("relationships:asset_edit", args=[asset.pk]),
        _asset_data(serial_number="cnr123", name=asset.name),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"serial_number": [TAKEN]}
    asset.refresh_from_db()
    assert asset.serial_number == "CNR124"


def test_saving_an_asset_unchanged_is_not_its_own_twin(persona_client, service_agent, customer):
    asset = AssetFactory(customer=customer, model="Canon iR-ADV C5840", serial_number="CNR123")
    response = persona_client(service_agent).post(
        reverse("relationships:asset_edit", args=[asset.pk]),
        _asset_data(serial_number="CNR123", name="Renamed printer"),
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.name == "Renamed printer"


def test_the_service_says_the_taken_serial_beside_the_serial_number(service_agent):
    AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR123")
    with pytest.raises(ValidationError) as refused:
        services.asset_create(
            customer=CustomerFactory(),
            by=service_agent,
            name="Printer",
            model="Canon iR-ADV C5840",
            serial_number="Cnr123",
        )
    assert refused.value.message_dict == {"serial_number": [TAKEN]}


def test_other_constraint_errors_stay_on_top_of_the_form():
    """Only the serial rule moves: validate_constraints keeps anything else where it was."""
    asset = AssetFactory.build(customer=CustomerFactory(), status="stolen")
    with pytest.raises(ValidationError) as refused:
        asset.validate_constraints()
    assert list(refused.value.message_dict) == [NON_FIELD_ERRORS]


def test_the_database_refuses_a_case_twin():
    AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR123")
    twin = AssetFactory.build(
        customer=CustomerFactory(), model="CANON IR-ADV C5840", serial_number="cnr123"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.fixture
def blind_checks(monkeypatch):
    """The asset's own checks see no twin, as when they ran just before the twin committed:
    only the database still knows."""
    monkeypatch.setattr(Asset, "validate_unique", lambda self, exclude=None: None)
    monkeypatch.setattr(Asset, "validate_constraints", lambda self, exclude=None: None)


def test_a_case_twin_committed_meanwhile_is_an_error_beside_the_serial_number(
    persona_client, service_agent, customer, blind_checks
):
    AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR123")
    response = _post(persona_client(service_agent), customer)
    assert response.status_code == 200
    assert response.context["form"].errors == {"serial_number": [TAKEN]}
    assert not customer.assets.exists()


def test_an_edit_racing_a_case_twin_is_an_error_beside_the_serial_number(
    persona_client, service_agent, customer, blind_checks
):
    AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR123")
    asset = AssetFactory(customer=customer, model="Canon iR-ADV C5840", serial_number="CNR124")
    response = persona_client(service_agent).post(
        reverse("relationships:asset_edit", args=[asset.pk]),
        _asset_data(serial_number="cnr123", name=asset.name),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"serial_number": [TAKEN]}
    asset.refresh_from_db()
    assert asset.serial_number == "CNR124"


# --- The installation date ------------------------------------------------------------------


def test_an_installation_in_the_future_is_refused_beside_the_date(
    persona_client, service_agent, customer
):
    response = _post(persona_client(service_agent), customer, installed_on="2030-01-15")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["installed_on"]
    assert "future" in errors["installed_on"][0]
    assert not customer.assets.exists()


def test_an_installation_tomorrow_is_refused_and_today_accepted(
    persona_client, service_agent, customer
):
    client = persona_client(service_agent)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "installed_on" in _post(client, customer, installed_on=tomorrow).context["form"].errors
    assert _post(client, customer).status_code == 302
    assert customer.assets.get().installed_on == timezone.localdate()


def test_the_service_refuses_a_future_installation(service_agent):
    with pytest.raises(ValidationError) as refused:
        services.asset_create(
            customer=CustomerFactory(),
            by=service_agent,
            name="Printer",
            model="Canon iR-ADV C5840",
            serial_number="CNR999",
            installed_on=timezone.localdate() + timedelta(days=365),
        )
    assert list(refused.value.message_dict) == ["installed_on"]


def test_an_installation_before_1970_is_refused(persona_client, service_agent, customer):
    response = _post(persona_client(service_agent), customer, installed_on="1969-12-31")
    assert "installed_on" in response.context["form"].errors


# --- The migration's case twins -------------------------------------------------------------


@pytest.fixture
def migration():
    return importlib.import_module(
        "relationships.migrations.0015_asset_serial_case_blind_installed_not_future"
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's schema editor cannot drop the index inside the test's transaction",
)
def test_the_migration_renames_case_twins_instead_of_failing(migration):
    """Rows the old rule let in ("CNR123" and "cnr123") keep the oldest's serial number; the
    later ones get a note naming both, so the unique index can be built and nothing is lost."""
    constraint = next(
        c for c in Asset._meta.constraints if c.name == "asset_serial_unique_per_model"
    )
    with connection.schema_editor() as editor:
        editor.remove_constraint(Asset, constraint)
    first = AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR123")
    second = AssetFactory(model="canon ir-adv c5840", serial_number="cnr123")
    third = AssetFactory(model="Canon iR-ADV C5840", serial_number="Cnr123")
    other = AssetFactory(model="Canon iR-ADV C5840", serial_number="CNR124")

    with connection.schema_editor() as editor:
        migration.rename_case_twins(django_apps, editor)
        editor.add_constraint(Asset, constraint)  # builds now: no twins left

    serials = dict(Asset.objects.values_list("pk", "serial_number"))
    assert serials[first.pk] == "CNR123"
    assert serials[other.pk] == "CNR124"
    assert serials[second.pk] == f"cnr123 (duplicate of asset {first.pk}, this is {second.pk})"
    assert serials[third.pk] == f"Cnr123 (duplicate of asset {first.pk}, this is {third.pk})"


def test_a_renamed_serial_fits_the_column_and_avoids_a_serial_typed_that_way(migration):
    long = "X" * 100
    renamed = migration._renamed(long, kept=1, pk=2, taken=set())
    assert len(renamed) == 100 and renamed.endswith("(duplicate of asset 1, this is 2)")
    typed = "sn (duplicate of asset 1, this is 2)"
    assert migration._renamed("SN", kept=1, pk=2, taken={typed}) == "SN (duplicate 2.1)"
