# ruff: noqa: RUF001  (Russian headers and values: Cyrillic letters on purpose)
"""Customers with their contact persons.

Two shapes of file, both accepted: a row carries a customer and up to three contact persons
(columns "contact 1 first name" … "contact 3 phone"), and rows repeating a customer's key (its
tax id, else its name) add their contact persons to the customer of the first such row.

New customers are written in bulk, chunk by chunk, with what `customer_register` writes for one:
the customer (owner, author, first contact date, status "prospect"), its open lasting
relationship started on the first contact date, the first contact logged as an interaction on
that date (the file's first-contact column, else the day of the import), and the last contact
set to it; contact persons after them, the first one primary. The field checks are the models'
own full_clean(); the tax id's uniqueness is checked for the whole chunk in one query.
"""

import datetime
from datetime import time

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core import bulk, visibility
from core.fastpath import ModelCheck
from core.i18n import language_for_country
from core.integrity import save_or_raise_validation
from customers.models import (
    ContactPerson,
    Customer,
    normalize_tax_id,
    phone_key,
    tax_id_in,
)
from relationships.models import Interaction, Relationship

from .. import parsing
from ..permissions import IMPORT_CUSTOMERS
from .base import CleanRow, Field, ImportKind, model_errors, touched_since

CONTACTS_PER_ROW = 3
CUSTOMER_FIELDS = (
    "display_name",
    "legal_name",
    "kind",
    "tax_id",
    "email",
    "phone",
    "street",
    "postal_code",
    "city",
    "country",
    "source",
    "first_contact_on",
    "notes",
)
# What "update the match" may change: the identity and address, never the history.
UPDATABLE = ("legal_name", "tax_id", "email", "phone", "street", "postal_code", "city", "country")
# What a row matched its duplicate on (ImportRow.match_reason), shown as MATCH_LABELS say.
MATCH_REASONS = {"tax_id": "tax_id", "email": "email", "phone_key": "phone"}
CONTACT_FIELDS = ("first_name", "last_name", "title", "email", "phone")
# full_clean() of a row's customer and contact persons, made fast for many rows (core.fastpath).
CUSTOMER_CHECK = ModelCheck(Customer, exclude=["owner", "created_by"])
CONTACT_CHECK = ModelCheck(ContactPerson, exclude=["customer"])

COUNTRY_NAMES = {
    "PL": ("pl", "polska", "poland", "polsko", "польша"),
    "CZ": ("cz", "czechy", "czechia", "czechrepublic", "cesko", "ceskarepublika", "чехия"),
    "SK": ("sk", "slowacja", "slovakia", "slovensko", "словакия"),
    "RU": ("ru", "rosja", "russia", "rusko", "россия", "российскаяфедерация"),
    "DE": ("de", "niemcy", "germany", "nemecko", "германия"),
}
KIND_NAMES = {
    Customer.Kind.PERSON: (
        "person",
        "individual",
        "osoba",
        "osobafizyczna",
        "fyzickaosoba",
        "физлицо",
        "физическоелицо",
        "частноелицо",
    ),
    Customer.Kind.ORGANISATION: (
        "organisation",
        "organization",
        "company",
        "firma",
        "organizacja",
        "spolecnost",
        "pravnickaosoba",
        "организация",
        "компания",
        "юрлицо",
        "юридическоелицо",
    ),
}
# The first contact's channel and direction follow the customer's source.
SOURCE_CONTACT = {
    Customer.Source.MAILING: (Interaction.Channel.MAILING, Interaction.Direction.OUTBOUND),
    Customer.Source.WEB_FORM: (Interaction.Channel.WEB_FORM, Interaction.Direction.INBOUND),
    Customer.Source.INBOUND_CALL: (Interaction.Channel.CALL, Interaction.Direction.INBOUND),
    Customer.Source.EVENT: (Interaction.Channel.MEETING, Interaction.Direction.INBOUND),
    Customer.Source.REFERRAL: (Interaction.Channel.EMAIL, Interaction.Direction.INBOUND),
}
DEFAULT_CONTACT = (Interaction.Channel.EMAIL, Interaction.Direction.OUTBOUND)

CONTACT_SYNONYMS = {
    "first_name": (
        "first name",
        "firstname",
        "given name",
        "imię",
        "imie",
        "jméno",
        "jmeno",
        "křestní jméno",
        "имя",
    ),
    "last_name": (
        "last name",
        "surname",
        "family name",
        "nazwisko",
        "příjmení",
        "prijmeni",
        "фамилия",
    ),
    "title": (
        "title",
        "position",
        "role",
        "job title",
        "stanowisko",
        "funkcja",
        "funkce",
        "pozice",
        "должность",
    ),
    "email": (
        "contact email",
        "contact e-mail",
        "email osoby",
        "e-mail osoby",
        "email osoby kontaktowej",
        "kontaktní e-mail",
        "kontaktni email",
        "email контакта",
        "e-mail контактного лица",
    ),
    "phone": (
        "contact phone",
        "telefon osoby",
        "telefon osoby kontaktowej",
        "kontaktní telefon",
        "телефон контакта",
        "телефон контактного лица",
    ),
}
CONTACT_WORDS = ("contact", "kontakt", "osoba", "контакт")


def _contact_fields():
    labels = {
        "first_name": gettext_lazy("first name"),
        "last_name": gettext_lazy("last name"),
        "title": gettext_lazy("role / title"),
        "email": gettext_lazy("e-mail"),
        "phone": gettext_lazy("phone"),
    }
    fields = []
    for n in range(1, CONTACTS_PER_ROW + 1):
        for name in CONTACT_FIELDS:
            synonyms = []
            for synonym in CONTACT_SYNONYMS[name]:
                synonyms += [f"{synonym} {n}", f"{synonym}{n}"]
                synonyms += [f"{word} {n} {synonym}" for word in CONTACT_WORDS]
                if n == 1:
                    synonyms += [synonym, *(f"{word} {synonym}" for word in CONTACT_WORDS)]
            fields.append(
                Field(
                    f"contact{n}_{name}",
                    _ContactLabel(n, labels[name]),
                    tuple(synonyms),
                )
            )
    return tuple(fields)


class _ContactLabel:
    """ "Contact 2: last name", translated when shown."""

    def __init__(self, number, label):
        self.number, self.label = number, label

    def __str__(self):
        return _("Contact %(number)s: %(field)s") % {"number": self.number, "field": self.label}


class CustomerImport(ImportKind):
    key = "customers"
    label = gettext_lazy("Customers and contact persons")
    permission = IMPORT_CUSTOMERS
    matches_customers = True
    undo_text = gettext_lazy(
        "Undo removes the customers and contact persons this import created and restores what "
        "it updated, as long as nobody has changed them since."
    )
    fields = (
        Field(
            "display_name",
            gettext_lazy("display name"),
            (
                "name",
                "customer",
                "customer name",
                "company",
                "company name",
                "client",
                "nazwa",
                "nazwa firmy",
                "nazwa klienta",
                "firma",
                "klient",
                "kontrahent",
                "název",
                "nazev",
                "název firmy",
                "zákazník",
                "odběratel",
                "название",
                "наименование",
                "компания",
                "клиент",
                "контрагент",
            ),
            required=True,
        ),
        Field(
            "legal_name",
            gettext_lazy("legal name"),
            (
                "full name",
                "official name",
                "pełna nazwa",
                "nazwa pełna",
                "obchodní jméno",
                "obchodní firma",
                "полное наименование",
                "юридическое название",
            ),
        ),
        Field(
            "kind",
            gettext_lazy("kind"),
            ("type", "customer type", "typ", "typ klienta", "druh", "тип", "тип клиента"),
        ),
        Field(
            "tax_id",
            gettext_lazy("tax id"),
            (
                "tax number",
                "vat",
                "vat id",
                "vat number",
                "nip",
                "numer nip",
                "ičo",
                "ico",
                "dič",
                "dic",
                "ičo/dič",
                "inn",
                "инн",
                "идентификационный номер",
            ),
        ),
        Field(
            "email",
            gettext_lazy("e-mail"),
            (
                "email",
                "mail",
                "adres email",
                "adres e-mail",
                "emailová adresa",
                "электронная почта",
                "почта",
            ),
        ),
        Field(
            "phone",
            gettext_lazy("phone"),
            ("telephone", "tel", "tel.", "telefon", "numer telefonu", "telefonní číslo", "телефон"),
        ),
        Field(
            "street",
            gettext_lazy("street"),
            ("address", "ulica", "adres", "ulice", "adresa", "улица", "адрес"),
        ),
        Field(
            "postal_code",
            gettext_lazy("postal code"),
            (
                "zip",
                "zip code",
                "postcode",
                "kod pocztowy",
                "kod",
                "psč",
                "psc",
                "индекс",
                "почтовый индекс",
            ),
        ),
        Field(
            "city",
            gettext_lazy("city"),
            (
                "town",
                "miasto",
                "miejscowość",
                "město",
                "mesto",
                "obec",
                "город",
                "населенный пункт",
            ),
        ),
        Field("country", gettext_lazy("country"), ("kraj", "państwo", "země", "stát", "страна")),
        Field(
            "source",
            gettext_lazy("source of first contact"),
            ("source", "źródło", "zdroj", "источник"),
        ),
        Field(
            "first_contact_on",
            gettext_lazy("first contact on"),
            (
                "first contact",
                "first contact date",
                "customer since",
                "pierwszy kontakt",
                "data pierwszego kontaktu",
                "klient od",
                "první kontakt",
                "datum prvního kontaktu",
                "zákazníkem od",
                "первый контакт",
                "дата первого контакта",
                "клиент с",
            ),
        ),
        Field(
            "notes",
            gettext_lazy("notes"),
            (
                "note",
                "comment",
                "comments",
                "uwagi",
                "notatki",
                "poznámky",
                "poznámka",
                "примечание",
                "комментарий",
            ),
        ),
        *_contact_fields(),
    )

    # Reading a row -----------------------------------------------------------------------

    def clean(self, cells, *, batch) -> CleanRow:
        row = CleanRow()
        text = {name: str(value).strip() for name, value in cells.items() if str(value).strip()}
        country = self._country(text.get("country", ""), row)
        region = country or batch.default_country
        customer = {"country": country}
        for name in CUSTOMER_FIELDS:
            if name == "country" or name not in text:
                continue
            self._parse(row, name, text[name], region, customer)
        customer.setdefault("source", Customer.Source.OTHER)
        customer.setdefault("kind", Customer.Kind.ORGANISATION)
        if "display_name" not in text:
            row.errors["display_name"] = _("A customer needs a name.")
        contacts = []
        for n in range(1, CONTACTS_PER_ROW + 1):
            prefix = f"contact{n}_"
            if not any(f"{prefix}{name}" in text for name in CONTACT_FIELDS):
                continue
            contact = {}
            for name in CONTACT_FIELDS:
                if f"{prefix}{name}" in text:
                    self._parse(
                        row,
                        f"{prefix}{name}",
                        text[f"{prefix}{name}"],
                        region,
                        contact,
                        target=name,
                    )
            self._check_model(row, CONTACT_CHECK, contact, prefix)
            contacts.append(contact)
        self._check_model(
            row,
            CUSTOMER_CHECK,
            {
                **customer,
                "first_contact_on": customer.get("first_contact_on") or timezone.localdate(),
            },
            "",
        )
        row.values = {"customer": customer, "contacts": contacts}
        return row

    def _country(self, value, row):
        if not value:
            return ""
        folded = parsing.fold(value)
        for code, names in COUNTRY_NAMES.items():
            if folded in names:
                return code
        if len(folded) == 2 and folded.isascii() and folded.isalpha():
            return folded.upper()
        row.errors["country"] = _("Not a country: write its two-letter code, e.g. PL.")
        return ""

    def _parse(self, row, name, value, region, into, *, target=None):
        target = target or name
        try:
            if target in ("first_contact_on",):
                into[target] = parsing.parse_date(value)
            elif target == "phone":
                into[target] = parsing.parse_phone(value, region)
            elif target == "tax_id":
                into[target] = parsing.parse_tax_id(value, region)
            elif target == "email":
                into[target] = value.lower()
            elif target == "kind":
                into[target] = self._choice(value, KIND_NAMES, Customer.Kind)
            elif target == "source":
                into[target] = self._choice(value, {}, Customer.Source)
            else:
                into[target] = parsing.parse_text(value)
        except ValueError as error:
            row.errors[name] = str(error)

    def _choice(self, value, names, choices):
        folded = parsing.fold(value)
        for choice, label in choices.choices:
            if folded in (parsing.fold(choice), parsing.fold(label), *names.get(choice, ())):
                return choice
        raise ValueError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)})

    def _check_model(self, row, check, values, prefix):
        """The model's own full_clean() of the values, without the unique and constraint
        checks (the database makes those at the run), each error beside its cell."""
        errors = check(values)
        if errors:
            for name, message in model_errors(ValidationError(errors), prefix).items():
                row.errors.setdefault(name, message)

    def created_text(self, count):
        return ngettext("%(count)s customer created", "%(count)s customers created", count)

    def updated_text(self, count):
        return ngettext("%(count)s customer updated", "%(count)s customers updated", count)

    def dump(self, values):
        customer = dict(values.get("customer", {}))
        if customer.get("first_contact_on"):
            customer["first_contact_on"] = customer["first_contact_on"].isoformat()
        return {"customer": customer, "contacts": values.get("contacts", [])}

    def load(self, values):
        customer = dict(values.get("customer", {}))
        if customer.get("first_contact_on"):
            customer["first_contact_on"] = datetime.date.fromisoformat(customer["first_contact_on"])
        return {"customer": customer, "contacts": values.get("contacts", [])}

    def group_key(self, clean: CleanRow) -> str:
        customer = clean.values.get("customer", {})
        if customer.get("tax_id"):
            return f"tax:{customer['tax_id']}"[:200]
        name = parsing.fold(customer.get("display_name", ""))
        return f"name:{name}"[:200] if name else ""

    # Duplicates ---------------------------------------------------------------------------

    def match(self, rows, cleaned, *, batch):
        """Each new customer's duplicate among the customers the importing user sees, on the
        duplicate guard's keys (tax id, e-mail, phone): one query per chunk. A match found by
        tax id can only be updated or skipped; the default for any match is to skip it."""
        keys = {"tax_id": set(), "email": set(), "phone_key": set()}
        for clean in cleaned:
            customer = clean.values.get("customer", {})
            if customer.get("tax_id"):
                keys["tax_id"].add(customer["tax_id"])
            if customer.get("email"):
                keys["email"].add(customer["email"])
            if key := phone_key(customer.get("phone", "")):
                keys["phone_key"].add(key)
        condition = Q(pk__in=[])
        if keys["tax_id"]:
            condition |= tax_id_in(keys["tax_id"])
        for name in ("email", "phone_key"):
            if keys[name]:
                condition |= Q(**{f"{name}__in": keys[name]})
        found = list(
            Customer.objects.visible_to(batch.created_by)
            .filter(condition)
            .only("id", "tax_id", "email", "phone_key", "owner_id")
        )
        by_key = {}
        for customer in found:
            for name in keys:
                value = getattr(customer, name)
                if value:
                    by_key.setdefault((name, value), customer)
        for row, clean in zip(rows, cleaned, strict=True):
            customer = clean.values.get("customer", {})
            wanted = {
                "tax_id": customer.get("tax_id", ""),
                "email": customer.get("email", ""),
                "phone_key": phone_key(customer.get("phone", "")),
            }
            for name, value in wanted.items():
                if value and (name, value) in by_key:
                    row.match = by_key[(name, value)]
                    row.match_reason = MATCH_REASONS[name]
                    row.action = row.Action.SKIP
                    break

    # The run ------------------------------------------------------------------------------

    def run(self, rows, *, batch):
        user = batch.created_by
        creates, updates, children = [], [], []
        captions = self.captions(batch)  # a rejected row's reason names the user's columns
        for row in rows:
            if row.errors:
                _finish(row, row.Outcome.REJECTED, self.errors_text(row.errors, captions))
            elif row.parent_id:
                children.append(row)
            elif row.action == row.Action.SKIP:
                _finish(row, row.Outcome.SKIPPED, _("Skipped as chosen."))
            elif row.action == row.Action.UPDATE:
                updates.append(row)
            else:
                creates.append(row)
        # The values read and checked for the preview (the cells cannot have changed since).
        cleaned = {row.pk: CleanRow(values=self.load(row.values)) for row in creates + updates}
        self._create(creates, cleaned, batch=batch, user=user)
        for row in updates:
            self._update(row, cleaned[row.pk], batch=batch, user=user)
        self._add_children(children, {row.pk: row for row in rows}, batch=batch)

    def _create(self, rows, cleaned, *, batch, user):
        """The chunk's new customers with their relationships, first contacts and contact
        persons, one bulk insert per model (`core.bulk`: COPY on PostgreSQL). The rows are
        written from the values the preview read and checked (full_clean()), as plain values:
        no model instance is built for them."""
        taken = set(
            Customer.objects.filter(
                tax_id_in(cleaned[row.pk].values["customer"].get("tax_id") for row in rows)
            ).values_list("tax_id", flat=True)
        )
        now = timezone.now()
        today = timezone.localdate()
        owner_id = batch.owner_id or user.pk
        customers, kept = [], []
        for row in rows:
            values = dict(cleaned[row.pk].values["customer"])
            if values.get("tax_id") in taken:
                _finish(row, row.Outcome.REJECTED, _("A customer with this tax id already exists."))
                continue
            first = values.pop("first_contact_on", None)
            # What Customer.clean() does to them: one spelling for the tax id and the e-mail.
            if "tax_id" in values:
                values["tax_id"] = normalize_tax_id(values["tax_id"])
            if "email" in values:
                values["email"] = (values["email"] or "").strip().lower()
            customers.append(
                {
                    **values,
                    "first_contact_on": first or today,
                    "owner_id": owner_id,
                    "created_by_id": user.pk,
                    "status": Customer.Status.PROSPECT,
                    "relationship_kind": Relationship.Kind.LASTING,
                    "last_contact_at": (
                        timezone.make_aware(datetime.datetime.combine(first, time(12)))
                        if first
                        else now
                    ),
                }
            )
            kept.append(row)
        customer_ids = bulk.insert(Customer, customers)
        relationship_ids = bulk.insert(
            Relationship,
            (
                {
                    "customer_id": customer_id,
                    "kind": Relationship.Kind.LASTING,
                    "status": Relationship.Status.PROSPECT,
                    "started_on": customer["first_contact_on"],
                    "started_by_id": user.pk,
                }
                for customer_id, customer in zip(customer_ids, customers, strict=True)
            ),
        )
        subject = (_("First contact: imported from %(file)s") % {"file": batch.original_name})[:200]
        bulk.insert(
            Interaction,
            (
                {
                    "customer_id": customer_id,
                    "relationship_id": relationship_id,
                    "channel": SOURCE_CONTACT.get(customer.get("source"), DEFAULT_CONTACT)[0],
                    "direction": SOURCE_CONTACT.get(customer.get("source"), DEFAULT_CONTACT)[1],
                    "subject": subject,
                    "occurred_at": customer["last_contact_at"],
                    "created_by_id": user.pk,
                }
                for customer_id, relationship_id, customer in zip(
                    customer_ids, relationship_ids, customers, strict=True
                )
            ),
        )
        contacts, owners = [], []
        for row, customer_id, customer in zip(kept, customer_ids, customers, strict=True):
            language = language_for_country(customer.get("country", ""))
            for index, values in enumerate(cleaned[row.pk].values["contacts"]):
                contacts.append(
                    {
                        **values,
                        "customer_id": customer_id,
                        "language": language,
                        "is_primary": index == 0,
                    }
                )
                owners.append(row)
            row.record_id = customer_id
            _finish(row, row.Outcome.CREATED, "")
        contact_ids = bulk.insert(ContactPerson, contacts)
        for row, contact_id in zip(owners, contact_ids, strict=True):
            row.related_ids = [*row.related_ids, contact_id]

    def _update(self, row, clean, *, batch, user):
        from django.db import transaction

        customer = Customer.objects.select_for_update().filter(pk=row.match_id).first()
        if customer is None or not visibility.can_edit_owner(user, customer.owner_id):
            _finish(row, row.Outcome.REJECTED, _("You may not change the matching customer."))
            return
        values = clean.values["customer"]
        previous = {}
        for name in UPDATABLE:
            if values.get(name) and values[name] != getattr(customer, name):
                previous[name] = getattr(customer, name)
                setattr(customer, name, values[name])
        try:
            with transaction.atomic():
                customer.full_clean(exclude=["owner", "created_by"])
                save_or_raise_validation(customer)
                existing = list(customer.contacts.values_list("email", "first_name", "last_name"))
                added = []
                for contact_values in clean.values["contacts"]:
                    if _known_contact(contact_values, existing):
                        continue
                    contact = _contact(customer, contact_values, primary=False)
                    contact.full_clean()
                    contact.save()
                    added.append(contact.pk)
        except ValidationError as error:
            _finish(row, row.Outcome.REJECTED, " ".join(error.messages))
            return
        row.record_id, row.previous, row.related_ids = customer.pk, previous, added
        _finish(row, row.Outcome.UPDATED, "")

    def _add_children(self, rows, in_chunk, *, batch):
        """Rows repeating a customer's key: their contact persons join that customer (the
        first row with the key, in this chunk, run just now, or in an earlier one)."""
        if not rows:
            return
        parents = dict(in_chunk)
        earlier = {row.parent_id for row in rows} - set(parents)
        parents.update(
            (parent.pk, parent) for parent in type(rows[0]).objects.filter(pk__in=earlier)
        )
        for row in rows:
            parent = parents[row.parent_id]
            if parent.outcome not in (row.Outcome.CREATED, row.Outcome.UPDATED):
                _finish(
                    row,
                    row.Outcome.SKIPPED,
                    _("Its customer (row %(number)s) was not imported.")
                    % {"number": parent.number},
                )
                continue
            clean = CleanRow(values=self.load(row.values))
            customer = Customer.objects.get(pk=parent.record_id)
            existing = list(customer.contacts.values_list("email", "first_name", "last_name"))
            has_primary = customer.contacts.filter(is_primary=True).exists()
            added = []
            for values in clean.values["contacts"]:
                if _known_contact(values, existing):
                    continue
                contact = _contact(customer, values, primary=not has_primary)
                has_primary = True
                contact.full_clean()
                contact.save()
                existing.append((contact.email, contact.first_name, contact.last_name))
                added.append(contact.pk)
            parent.related_ids = [*parent.related_ids, *added]
            if parent.pk not in in_chunk:
                parent.save(update_fields=["related_ids"])
            row.record_id = customer.pk
            _finish(
                row,
                row.Outcome.CREATED
                if parent.outcome == row.Outcome.CREATED
                else row.Outcome.UPDATED,
                _("Contact persons of row %(number)s's customer.") % {"number": parent.number},
            )

    # Undo ---------------------------------------------------------------------------------

    def undo(self, batch):
        rows = batch.rows.exclude(record_id=None).filter(parent=None)
        created = rows.filter(outcome="created").values("record_id")
        updated = list(rows.filter(outcome="updated"))
        related_ids = [pk for ids in rows.values_list("related_ids", flat=True) for pk in ids]
        since = batch.finished_at
        customers = Customer.objects.filter(
            Q(pk__in=created) | Q(pk__in=[row.record_id for row in updated])
        )
        relationships = Relationship.objects.filter(customer__in=created)
        if (
            customers.filter(updated_at__gt=since).exists()
            or touched_since(Customer, customers.values("pk"), since)
            or touched_since(ContactPerson, related_ids, since)
            or touched_since(Relationship, relationships.values("pk"), since)
            or ContactPerson.objects.filter(customer__in=created)
            .exclude(pk__in=related_ids)
            .exists()
            or Interaction.objects.filter(customer__in=created, created_at__gt=since).exists()
        ):
            raise ValidationError(
                _(
                    "This import cannot be undone: some of its customers or contact persons "
                    "were changed since, or have new records."
                )
            )
        for row in updated:
            customer = Customer.objects.select_for_update().get(pk=row.record_id)
            for name, value in row.previous.items():
                setattr(customer, name, value)
            customer.save()
        ContactPerson.objects.filter(pk__in=related_ids).delete()
        _delete_first_contacts(batch)
        relationships.delete()
        Customer.segments.through.objects.filter(customer__in=created).delete()
        Customer.objects.filter(pk__in=created).delete()


def _delete_first_contacts(batch):
    """The interactions of the batch's new customers (only their first contacts: the undo is
    refused when there are others), in one statement. Not QuerySet.delete(): an interaction's
    post_delete queues the rescoring of its customer, one outbox row and, at the commit, one
    broker message and one UPDATE per customer, for customers deleted in this same transaction;
    that was nearly all of an undo's time. No other table refers to an interaction, and
    interactions are not audited, so the signal is all that this skips."""
    from ..models import ImportRow

    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Interaction._meta.db_table} WHERE customer_id IN ("
            f"SELECT record_id FROM {ImportRow._meta.db_table} WHERE batch_id = %s "
            "AND parent_id IS NULL AND outcome = %s AND record_id IS NOT NULL)",
            [batch.pk, ImportRow.Outcome.CREATED],
        )


def _contact(customer, values, *, primary):
    return ContactPerson(
        customer=customer,
        language=language_for_country(customer.country),
        is_primary=primary,
        **values,
    )


def _known_contact(values, existing):
    email = values.get("email", "")
    name = (values.get("first_name", ""), values.get("last_name", ""))
    return any((email and email == e) or name == (f, la) for e, f, la in existing)


def _finish(row, outcome, message):
    row.outcome = outcome
    row.message = str(message)[:500]
