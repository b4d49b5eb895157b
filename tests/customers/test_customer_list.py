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


@pytest.mark.parametrize("term", ["!", "%", "_", "'\"", "\U0001f600", "- / -"])
def test_a_term_without_letters_or_digits_does_not_list_customers_without_a_tax_id(
    persona_client, sales_rep, term
):
    CustomerFactory(display_name="Kowalski Transport", tax_id="")
    CustomerFactory(display_name="Nowak Logistics", tax_id="PL5261040828")
    response = persona_client(sales_rep).get(reverse("customers:list"), {"q": term})
    assert response.status_code == 200
    assert _names(response) == []


def test_a_name_holding_the_punctuation_searched_is_still_found(persona_client, sales_rep):
    CustomerFactory(display_name="Yes! Studio", tax_id="")
    CustomerFactory(display_name="Kowalski Transport", tax_id="")
    response = persona_client(sales_rep).get(reverse("customers:list"), {"q": "!"})
    assert _names(response) == ["Yes! Studio"]


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


@pytest.mark.parametrize(
    ("name", "value", "limit"),
    [
        ("reliability_min", "1" + "0" * 400, "100"),
        ("uncontacted_days", "99999", "3650"),
        ("ltv_min", "1" + "0" * 400, "99999999999999.99"),
    ],
)
def test_a_number_filter_past_its_limit_says_that_limit_once(
    persona_client, sales_rep, name, value, limit
):
    response = persona_client(sales_rep).get(reverse("customers:list"), {name: value})
    assert response.status_code == 200
    errors = response.context["filter"].form.errors[name]
    assert len(errors) == 1 and limit in errors[0], errors


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
    # session, user, roles, capped count, the page's rows (its ids in a subquery), segments;
    # the owner and segment choices, read once for the filter and the bulk action forms
    # (core.forms.share_choices); the saved views and the user's teams (core.lists); the bell's
    # unread count
    with django_assert_max_num_queries(11):
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


def test_a_hostile_name_is_escaped_in_the_rows_and_the_filter_bar(persona_client, sales_rep):
    hostile = SegmentFactory(name='<script>alert("segment")</script>')
    customer = CustomerFactory(
        display_name="<script>alert(1)</script>",
        tax_id="<b>PL1</b>",
        city='"><img src=x onerror=alert(2)>',
        owner=sales_rep,
    )
    customer.segments.add(hostile)
    body = persona_client(sales_rep).get(reverse("customers:list")).content.decode()
    rows = body[body.index("<tbody>") : body.index("</tbody>")]

    assert "<script>" not in rows and "<img" not in rows and "<b>" not in rows
    assert f'<a href="/customers/{customer.pk}/">&lt;script&gt;alert(1)&lt;/script&gt;</a>' in rows
    assert '<div class="small text-muted">&lt;b&gt;PL1&lt;/b&gt;</div>' in rows
    assert "<td>&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</td>" in rows
    segment_badge = "&lt;script&gt;alert(&quot;segment&quot;)&lt;/script&gt;"
    assert f'<span class="badge text-bg-light border">{segment_badge}</span>' in rows
    # The segment filter offers it, escaped too.
    assert f'<option value="{hostile.pk}">{segment_badge}</option>' in body
    assert "<script>alert" not in body and "<img src=x" not in body


def test_a_row_shows_every_column(persona_client, sales_rep):
    from datetime import date, timedelta
    from decimal import Decimal

    customer = CustomerFactory(
        kind="person",
        display_name="Ada Lovelace",
        tax_id="PL5260250995",
        city="Kraków",
        owner=sales_rep,
        status="active",
        relationship_kind="casual",
        grade="A",
        scored_at=timezone.now(),
        ltv=Decimal("1234567.89"),
        ltv_currency="PLN",
        payment_reliability=Decimal("87.60"),
        avg_days_late=Decimal("3.5"),
        first_contact_on=date(2024, 2, 29),
        last_contact_at=timezone.now() - timedelta(days=2, minutes=5),
    )
    customer.segments.add(SegmentFactory(name="VIP"), SegmentFactory(name="Retail"))
    body = persona_client(sales_rep).get(reverse("customers:list")).content.decode()
    row = body[
        body.index(
            f'<tr><td><input class="form-check-input" type="checkbox" name="ids" '
            f'value="{customer.pk}"'
        ) :
    ]
    row = row[: row.index("</tr>") + 5]

    assert row.startswith(
        f'<tr><td><input class="form-check-input" type="checkbox" name="ids" value="{customer.pk}" '
        'form="customer-bulk" aria-label="Select Ada Lovelace"></td>'
        f'<td><a href="/customers/{customer.pk}/">Ada Lovelace</a>'
        '<i aria-hidden="true" class="bi bi-person text-muted" title="Person"></i>'
        '<div class="small text-muted">PL5260250995</div></td>'
        '<td><span class="badge text-bg-success grade-badge" title="A: most valuable">A</span></td>'
        '<td class="text-end text-nowrap">1,234,567 PLN</td>'
        '<td class="text-end"><span class="text-warning-emphasis" '
        'title="3.5 days late on average">87</span></td>'
        '<td><span class="badge text-bg-success">Active</span> '
        '<span class="badge text-bg-light border">casual</span></td>'
    )
    assert (
        '<td><span class="badge text-bg-light border">Retail</span> '
        '<span class="badge text-bg-light border">VIP</span></td><td>sally_sales</td>'
        "<td>Kraków</td><td><span title="
    ) in row
    assert row.endswith("2\xa0days ago</span></td><td>02/29/2024</td></tr>")


def test_the_list_is_the_same_html_with_compiled_statements_and_plain_querysets(
    persona_client, sales_rep, html_both_ways
):
    """The list reads through no compiled statement (core.fastpath) today, its filters make
    every query different; this holds it to the same HTML both ways the day one joins it."""
    import re

    for name in ("Alpha", "Beta <B>", "Gamma"):
        CustomerFactory(display_name=name, owner=sales_rep).segments.add(SegmentFactory())
    client = persona_client(sales_rep)

    fast, plain = html_both_ways(
        lambda: client.get(reverse("customers:list"), {"ordering": "name"})
    )

    assert fast == plain
    names = re.findall(r'<a href="/customers/\d+/">([^<]+)</a>', fast)
    assert names == ["Alpha", "Beta &lt;B&gt;", "Gamma"]
