import pytest
from django.urls import reverse
from django.utils import timezone

from core.pagination import LargeTablePaginator
from tests.factories import CustomerFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def _names(response):
    return [c.display_name for c in response.context["page"]]


def test_list_searches_by_name_tax_id_email_and_phone(persona_client, sales_rep):
    CustomerFactory(
        display_name="Kowalski Transport",
        tax_id="PL1111111111",
        email="k@kt.pl",
        phone="+48 601 222 333",
    )
    CustomerFactory(display_name="Other")
    client = persona_client(sales_rep)
    url = reverse("customers:list")
    for term in ["kowalski", "pl 111-111-11-11", "K@KT.pl", "601222333"]:
        assert _names(client.get(url, {"q": term})) == ["Kowalski Transport"], term


def test_list_filters_by_status_segment_owner_source_and_kind(persona_client, sales_rep, manager):
    vip = SegmentFactory(name="VIP")
    match = CustomerFactory(
        display_name="Match",
        owner=manager,
        source="referral",
        status="active",
        relationship_kind="casual",
    )
    match.segments.add(vip)
    CustomerFactory(display_name="Other", owner=sales_rep, source="referral", status="active")
    response = persona_client(sales_rep).get(
        reverse("customers:list"),
        {
            "status": "active",
            "segment": vip.pk,
            "owner": manager.pk,
            "source": "referral",
            "relationship_kind": "casual",
        },
    )
    assert _names(response) == ["Match"]


def test_list_sorts_by_last_contact(persona_client, sales_rep):
    now = timezone.now()
    CustomerFactory(display_name="Recent", last_contact_at=now)
    CustomerFactory(display_name="Old", last_contact_at=now - timezone.timedelta(days=90))
    response = persona_client(sales_rep).get(
        reverse("customers:list"), {"ordering": "-last_contact"}
    )
    assert _names(response)[:2] == ["Recent", "Old"]
    response = persona_client(sales_rep).get(
        reverse("customers:list"), {"ordering": "last_contact"}
    )
    assert _names(response)[:2] == ["Old", "Recent"]


def test_list_paginates(persona_client, sales_rep, settings):
    settings.CUSTOMER_LIST_PAGE_SIZE = 5
    CustomerFactory.create_batch(12)
    response = persona_client(sales_rep).get(reverse("customers:list"), {"page": 3})
    assert response.context["page"].number == 3
    assert len(response.context["page"]) == 2
    # An out-of-range page shows the last page rather than an error.
    assert persona_client(sales_rep).get(reverse("customers:list"), {"page": 99}).status_code == 200


def test_an_invalid_filter_value_shows_an_error_not_a_500(persona_client, sales_rep):
    response = persona_client(sales_rep).get(reverse("customers:list"), {"status": "nonsense"})
    assert response.status_code == 200
    assert response.context["filter"].errors


def test_htmx_requests_get_only_the_table(persona_client, sales_rep):
    CustomerFactory(display_name="Partial")
    response = persona_client(sales_rep).get(reverse("customers:list"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Partial" in body
    assert "<html" not in body


@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_count_does_not_grow_with_rows(
    persona_client, sales_rep, settings, django_assert_max_num_queries, rows
):
    settings.CUSTOMER_LIST_PAGE_SIZE = 50
    segment = SegmentFactory()
    for customer in CustomerFactory.create_batch(rows, owner=sales_rep):
        customer.segments.add(segment)
    client = persona_client(sales_rep)
    # session, user, roles, capped count, segment and owner choices, the page's rows (its ids
    # in a subquery), segments
    with django_assert_max_num_queries(8):
        response = client.get(reverse("customers:list"))
    assert len(response.context["page"]) == rows


def test_a_huge_result_is_counted_only_up_to_a_cap(persona_client, sales_rep, monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "count_cap", 3)
    CustomerFactory.create_batch(5)
    response = persona_client(sales_rep).get(reverse("customers:list"))
    assert response.context["page"].paginator.count_is_capped
    assert "More than 3 customers match" in response.content.decode()


def test_pages_keep_the_sort_order(persona_client, sales_rep, settings):
    settings.CUSTOMER_LIST_PAGE_SIZE = 2
    for name in ["Delta", "Alpha", "Charlie", "Bravo", "Echo"]:
        CustomerFactory(display_name=name)
    client = persona_client(sales_rep)
    pages = [
        _names(client.get(reverse("customers:list"), {"page": n, "ordering": "-name"}))
        for n in (1, 2, 3)
    ]
    assert pages == [["Echo", "Delta"], ["Charlie", "Bravo"], ["Alpha"]]
