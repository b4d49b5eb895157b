"""Duplicates (create, update the match, skip per row), and the undo of a whole batch."""

import pytest
from django.core.exceptions import ValidationError

from core.models import OutboxMessage
from customers.models import ContactPerson, Customer
from imports import services
from imports.models import ImportBatch, ImportRow
from relationships.models import Interaction, Relationship
from tests.factories import ContactPersonFactory, CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db

FILE = (
    "Name;NIP;E-mail;Phone;City;First name;Last name\n"
    "Known Ltd;1234563218;;;Gdynia;Ola;Nowa\n"
    "Fresh Ltd;;fresh@example.com;;Sopot;Ula;Stara\n"
    "Same Mail;;known@example.com;;;;\n"
)


@pytest.fixture
def known(sales_rep):
    return CustomerFactory(
        owner=sales_rep,
        display_name="Known",
        tax_id="1234563218",
        email="known@example.com",
        city="Gdańsk",
    )


def test_each_row_shows_its_duplicate_and_a_match_is_skipped_unless_chosen(
    sales_rep, known, upload, prepare
):
    batch = prepare(upload(sales_rep, FILE))

    rows = {row.number: row for row in batch.rows.all()}
    assert (rows[2].match, rows[2].match_reason, rows[2].action) == (known, "tax_id", "skip")
    assert (rows[3].match, rows[3].action) == (None, "create")
    assert (rows[4].match, rows[4].match_reason) == (known, "email")


def test_updating_the_match_changes_it_and_undo_restores_it(
    sales_rep, known, upload, prepare, run_batch
):
    batch = prepare(upload(sales_rep, FILE))
    row = batch.rows.get(number=2)
    services.rows_choose(batch=batch, actions={row.pk: "update"}, by=sales_rep)

    batch = run_batch(batch)

    known.refresh_from_db()
    assert known.city == "Gdynia"
    assert known.contacts.get().last_name == "Nowa"
    assert (batch.created_count, batch.updated_count, batch.skipped_count) == (1, 1, 1)

    services.batch_undo(batch=batch, by=sales_rep)

    known.refresh_from_db()
    assert known.city == "Gdańsk"
    assert not known.contacts.exists()
    assert list(Customer.objects.all()) == [known]
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UNDONE


def test_creating_a_twin_of_a_known_tax_id_is_not_offered(sales_rep, known, upload, prepare):
    batch = prepare(upload(sales_rep, FILE))
    row = batch.rows.get(number=2)

    with pytest.raises(ValidationError):
        services.rows_choose(batch=batch, actions={row.pk: "create"}, by=sales_rep)


def test_a_match_the_user_may_not_change_cannot_be_updated(
    sales_rep, manager, upload, prepare, settings
):
    settings.CRM_VISIBILITY = "all"
    CustomerFactory(owner=manager, display_name="Theirs", tax_id="1234563218")
    batch = prepare(upload(sales_rep, FILE))
    row = batch.rows.get(number=2)
    assert row.match is not None

    with pytest.raises(ValidationError):
        services.rows_choose(batch=batch, actions={row.pk: "update"}, by=sales_rep)


def test_in_team_mode_an_invisible_customer_is_no_match_and_its_tax_id_is_refused(
    sales_rep, outsider, upload, prepare, run_batch, settings
):
    settings.CRM_VISIBILITY = "team"
    hidden = CustomerFactory(owner=outsider, tax_id="1234563218")
    batch = run_batch(prepare(upload(sales_rep, FILE)))

    row = batch.rows.get(number=2)
    assert row.match is None
    assert row.outcome == ImportRow.Outcome.REJECTED
    assert "tax id already exists" in row.message
    assert Customer.objects.filter(tax_id="1234563218").get() == hidden


def test_undo_removes_everything_the_batch_created(sales_rep, imported):
    batch = imported(sales_rep, FILE)
    assert Customer.objects.count() == 3

    services.batch_undo(batch=batch, by=sales_rep)

    assert not Customer.objects.exists()
    assert not ContactPerson.objects.exists()
    assert not Relationship.objects.exists()
    assert not Interaction.objects.exists()


def test_undo_deletes_only_its_own_interactions_and_queues_no_rescoring(sales_rep, imported):
    elsewhere = InteractionFactory()
    batch = imported(sales_rep, FILE)
    rescorings = OutboxMessage.objects.filter(task="analytics.tasks.rescore_customer")
    queued = rescorings.count()

    services.batch_undo(batch=batch, by=sales_rep)

    assert list(Interaction.objects.all()) == [elsewhere]
    # Its customers are gone with their interactions: nothing is left to rescore.
    assert rescorings.count() == queued


def test_undo_is_refused_once_a_customer_was_edited(sales_rep, imported):
    batch = imported(sales_rep, FILE)
    customer = Customer.objects.get(display_name="Fresh Ltd")
    customer.city = "Hel"
    customer.save()

    with pytest.raises(ValidationError) as refused:
        services.batch_undo(batch=batch, by=sales_rep)

    assert "cannot be undone" in refused.value.messages[0]
    assert Customer.objects.count() == 3


def test_undo_is_refused_once_a_customer_has_new_records(sales_rep, imported):
    batch = imported(sales_rep, FILE)
    customer = Customer.objects.get(display_name="Fresh Ltd")
    InteractionFactory(customer=customer)

    with pytest.raises(ValidationError):
        services.batch_undo(batch=batch, by=sales_rep)
    assert Customer.objects.count() == 3


def test_undo_is_refused_once_someone_added_a_contact_person(sales_rep, imported):
    batch = imported(sales_rep, FILE)
    ContactPersonFactory(customer=Customer.objects.get(display_name="Same Mail"))

    with pytest.raises(ValidationError):
        services.batch_undo(batch=batch, by=sales_rep)
    assert Customer.objects.count() == 3


def test_the_rejected_rows_download_says_why(sales_rep, imported):
    batch = imported(sales_rep, "Name;NIP\nGood;1234563218\nBad;1234563219\n=cmd;\n")

    lines = "".join(services.rejected_rows_csv(batch)).lstrip("\ufeff").splitlines()

    # The file's own headers, and the field named by its column: the file can be fixed and
    # imported again.
    assert lines[0] == "row,reason,Name,NIP"
    assert lines[1] == "3,NIP: Not a valid NIP.,Bad,1234563219"
    assert len(lines) == 2
