"""The permission matrix: every view, every persona. Anonymous → login, wrong role → 403, GET on a
POST-only view → 405."""

import pytest
from django.urls import reverse

from tests.factories import (
    AssetFactory,
    ContactPersonFactory,
    ContractFactory,
    DocumentFactory,
    InvoiceFactory,
    PayoutFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("personas_in_one_team")]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


ALL = {"sales_rep", "service_agent", "finance_clerk", "manager", "admin_user"}

# (url name, kwargs builder, personas allowed to GET it)
PAGES = [
    ("home", None, ALL | {"outsider"}),
    ("customers:list", None, ALL),
    ("customers:search", None, ALL),
    ("customers:detail", "customer", ALL),
    ("customers:history", "customer", ALL),
    ("customers:edit", "customer", {"sales_rep", "manager", "admin_user"}),
    (
        "customers:contact_create",
        "customer",
        {"sales_rep", "service_agent", "manager", "admin_user"},
    ),
    ("customers:contact_edit", "contact", {"sales_rep", "service_agent", "manager", "admin_user"}),
    ("relationships:customer_create", None, {"sales_rep", "manager", "admin_user"}),
    ("relationships:interaction_create", "customer", ALL),
    ("relationships:end", "relationship", {"manager", "admin_user"}),
    # Contracts, billing, payouts, assets, documents
    ("relationships:contract_list", None, ALL),
    ("relationships:contract_detail", "contract", ALL),
    ("relationships:contract_create", "customer", {"sales_rep", "manager", "admin_user"}),
    ("relationships:contract_edit", "contract", {"sales_rep", "manager", "admin_user"}),
    ("relationships:contract_terminate", "contract", {"sales_rep", "manager", "admin_user"}),
    ("relationships:invoice_list", None, {"finance_clerk", "manager", "admin_user"}),
    ("relationships:invoice_detail", "invoice", ALL),
    ("relationships:invoice_create", "customer", {"finance_clerk", "manager", "admin_user"}),
    ("relationships:invoice_edit", "invoice", {"finance_clerk", "manager", "admin_user"}),
    ("relationships:payout_list", None, {"finance_clerk", "manager", "admin_user"}),
    ("relationships:payout_create", "customer", ALL),
    ("relationships:payout_edit", "payout", ALL),
    ("relationships:asset_create", "customer", {"service_agent", "manager", "admin_user"}),
    ("relationships:asset_edit", "asset", {"service_agent", "manager", "admin_user"}),
    ("relationships:document_create", "customer", ALL),
    ("relationships:document_download", "document", ALL),
    # Customer value
    ("analytics:scoring_method", None, ALL),
    ("analytics:scoring_parameters_edit", None, {"manager", "admin_user"}),
]
POST_ONLY = [
    ("relationships:start", "customer"),
    ("relationships:activate", "relationship"),
    ("relationships:contract_sign", "contract"),
    ("relationships:payment_create", "invoice"),
    ("relationships:invoice_write_off", "invoice"),
    ("relationships:payout_approve", "payout"),
    ("relationships:payout_reject", "payout"),
    ("relationships:payout_mark_paid", "payout"),
]
# Who may POST to each state change; everyone else gets 403 and nothing changes.
POST_ALLOWED = {
    "relationships:contract_sign": {"sales_rep", "manager", "admin_user"},
    "relationships:payment_create": {"finance_clerk", "manager", "admin_user"},
    "relationships:invoice_write_off": {"finance_clerk", "manager", "admin_user"},
    "relationships:payout_approve": {"manager", "admin_user"},
    "relationships:payout_reject": {"manager", "admin_user"},
    "relationships:payout_mark_paid": {"finance_clerk", "manager", "admin_user"},
}
PERSONAS = sorted(ALL | {"outsider"})


def _url(name, target, customer, user=None):
    if target is None:
        return reverse(name)
    pk = {
        "customer": lambda: customer.pk,
        "relationship": lambda: customer.relationships.get().pk,
        "contact": lambda: ContactPersonFactory(customer=customer).pk,
        "contract": lambda: ContractFactory(customer=customer).pk,
        "invoice": lambda: InvoiceFactory(customer=customer).pk,
        "payout": lambda: (
            PayoutFactory(
                customer=customer,
                # Only its requester edits a payout request: the persona asks for its own.
                requested_by=user or UserFactory(username="rita_requester"),
            ).pk
        ),
        "asset": lambda: AssetFactory(customer=customer).pk,
        "document": lambda: DocumentFactory(customer=customer).pk,
    }[target]()
    return reverse(name, args=[pk])


@pytest.mark.parametrize(
    ("name", "target", "_allowed"), PAGES + [(n, t, None) for n, t in POST_ONLY]
)
def test_anonymous_users_are_sent_to_log_in(client, customer, name, target, _allowed):
    url = _url(name, target, customer)
    response = client.post(url) if _allowed is None else client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "target", "allowed"), PAGES)
def test_each_role_reaches_only_its_pages(
    request, client, customer, persona, name, target, allowed
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(_url(name, target, customer, user))
    assert response.status_code == (200 if persona in allowed else 403)


@pytest.mark.parametrize(("name", "target"), POST_ONLY)
def test_state_changes_refuse_get(client, manager, customer, name, target):
    client.force_login(manager)
    assert client.get(_url(name, target, customer)).status_code == 405


@pytest.mark.parametrize("persona", ["service_agent", "finance_clerk", "outsider"])
def test_roles_without_the_right_cannot_start_or_activate(request, client, customer, persona):
    client.force_login(request.getfixturevalue(persona))
    relationship = customer.relationships.get()
    assert client.post(reverse("relationships:activate", args=[relationship.pk])).status_code == 403
    assert (
        client.post(
            reverse("relationships:start", args=[customer.pk]), {"kind": "lasting"}
        ).status_code
        == 403
    )
    relationship.refresh_from_db()
    assert relationship.status == "prospect"


def test_missing_records_are_404_not_500(client, manager):
    client.force_login(manager)
    assert client.get(reverse("customers:detail", args=[999999])).status_code == 404
    assert client.get(reverse("relationships:end", args=[999999])).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(POST_ALLOWED))
def test_roles_without_the_right_cannot_post_state_changes(
    request, client, customer, persona, name
):
    target = dict(POST_ONLY)[name]
    url = _url(name, target, customer)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(url)
    # Allowed roles get through to the view (which redirects or shows the form's errors).
    assert response.status_code in ((302, 200) if persona in POST_ALLOWED[name] else (403,))
