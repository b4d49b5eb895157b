"""What each model holds about a person: the registry behind a person's rights (the `privacy`
app's export and erasure).

Privacy sits above every domain app, but it does not list their models: each app says, in its
AppConfig.ready(), which of its models hold data about a customer or a contact person, how to
find a subject's rows, and what erasure does to them:

    personal_data.register(
        "interactions", Interaction,
        customer="customer", contact="contact_person",
        erase={"subject": ERASED, "notes": "", "outcome": ""},
    )

A new model that holds personal data is exported and erased from the day it registers, and
`tests/privacy` fails for a customer-attached model that is in neither list (registered or
declared as holding none).

- `customer`: the lookup from the model to the customer (the records of an individual customer,
  who *is* the person); `contact`: the lookup to the contact person (the records about one person
  of a company). None where the model has no such link.
- `erase`: column → value written over it by an erasure. Columns left out are kept (amounts,
  numbers, dates and tax ids that the law requires us to keep, see README "Personal data").
- `erase_only`: a Q limiting which of the subject's rows erasure touches (documents attached to
  an invoice or contract are financial records and are kept).
- `delete_on_erase`: the rows are deleted rather than overwritten (their files with them).
- `file_field`: a FileField whose files go into the export (and are deleted by erasure when
  the rows are).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Q

# What erased text reads. Not translated: it is stored, and read in every language.
ERASED = "(erased)"


@dataclass(frozen=True)
class Source:
    name: str
    model: type
    customer: str | None = None
    contact: str | None = None
    erase: Mapping = field(default_factory=dict)
    erase_only: Q | None = None
    delete_on_erase: bool = False
    file_field: str | None = None
    order_by: tuple = ("pk",)

    @property
    def label(self):
        return self.model._meta.label_lower

    def rows_of_customer(self, customer_ids):
        """The rows of these customers: the person's, and the duplicates merged into them."""
        if self.customer is None:
            return self.model._default_manager.none()
        return self.model._default_manager.filter(
            **{f"{self.customer}__in": customer_ids}
        ).order_by(*self.order_by)

    def rows_of_contact(self, contact_ids):
        if self.contact is None:
            return self.model._default_manager.none()
        return self.model._default_manager.filter(**{f"{self.contact}__in": contact_ids}).order_by(
            *self.order_by
        )

    def erasable(self, rows):
        return rows.filter(self.erase_only) if self.erase_only is not None else rows


_sources: dict[str, Source] = {}
# Customer-attached models that hold nothing about a person beyond what a registered source
# exports (a stage transition's note is about the process): checked by the tests.
_declared_impersonal: set[str] = set()


def register(name, model, **options):
    if name in _sources:
        raise ValueError(f"A personal data source named {name!r} is registered twice.")
    names = {f.name for f in model._meta.concrete_fields}
    unknown = set(options.get("erase", {})) - names
    if unknown:
        raise ValueError(f"{model._meta.label}: no fields named {sorted(unknown)} to erase.")
    _sources[name] = Source(name=name, model=model, **options)
    return model


def declare_impersonal(model):
    """`model` is linked to a customer but holds nothing personal of its own."""
    _declared_impersonal.add(model._meta.label_lower)
    return model


def sources():
    return list(_sources.values())


def is_covered(model):
    label = model._meta.label_lower
    return label in _declared_impersonal or any(s.label == label for s in _sources.values())
