"""Assets: the customer's equipment."""

from django.db import transaction

from core.integrity import save_or_raise_validation
from customers.models import Customer

from ..models import Asset
from ..models.assets import SERIAL_UNIQUE

ASSET_EDITABLE_FIELDS = (
    "name",
    "model",
    "serial_number",
    "installed_on",
    "location",
    "contract",
    "status",
)


# The serial number is what the user typed twice; the model is usually picked from the list.
# (Asset.validate_constraints says it there too, for the check before the save.)
ASSET_SERIAL_BESIDE = {SERIAL_UNIQUE: "serial_number"}


@transaction.atomic
def asset_create(*, customer: Customer, by, **fields) -> Asset:
    unknown = set(fields) - set(ASSET_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unexpected asset fields: {sorted(unknown)}")
    asset = Asset(customer=customer, created_by=by, **fields)
    asset.full_clean()
    save_or_raise_validation(asset, fields=ASSET_SERIAL_BESIDE)
    return asset


@transaction.atomic
def asset_update(*, asset: Asset, data: dict) -> Asset:
    for name, value in data.items():
        if name not in ASSET_EDITABLE_FIELDS:
            raise TypeError(f"{name} cannot be changed here")
        setattr(asset, name, value)
    asset.full_clean()
    save_or_raise_validation(asset, fields=ASSET_SERIAL_BESIDE)
    return asset
