"""Pages of big lists: the count stops at a cap, and a page is fetched by its primary keys."""

import pytest

from core.pagination import LargeTablePaginator
from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_count_over_the_cap_is_remembered_and_an_exact_count_is_not(
    monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(LargeTablePaginator, "count_cap", 3)
    CustomerFactory.create_batch(5)
    everyone = Customer.objects.order_by("pk")
    assert LargeTablePaginator(everyone, 2).count_is_capped
    with django_assert_num_queries(0):
        assert LargeTablePaginator(everyone, 2).count_is_capped
    CustomerFactory.create_batch(2, display_name="Exact match")
    exact = Customer.objects.filter(display_name="Exact match").order_by("pk")
    assert LargeTablePaginator(exact, 2).count == 2
    CustomerFactory(display_name="Exact match")
    assert LargeTablePaginator(exact, 2).count == 3


def test_a_page_holds_its_rows_in_the_list_order_and_the_last_takes_the_orphans():
    names = ["Echo", "Alpha", "Delta", "Bravo", "Charlie"]
    for name in names:
        CustomerFactory(display_name=name)
    ordered = Customer.objects.order_by("-display_name", "-id")
    paginator = LargeTablePaginator(ordered, 2, orphans=1)
    assert [c.display_name for c in paginator.page(1)] == ["Echo", "Delta"]
    assert [c.display_name for c in paginator.page(2)] == ["Charlie", "Bravo", "Alpha"]
    assert paginator.num_pages == 2


def test_the_last_page_shows_every_row_when_the_count_is_behind_them():
    """A count read from a read replica a moment behind (core.db.replica) does not cut the page
    whose rows come from the primary."""
    for name in ["Alpha", "Bravo", "Charlie"]:
        CustomerFactory(display_name=name)
    paginator = LargeTablePaginator(Customer.objects.order_by("display_name"), 25)
    paginator.count = 1  # as the replica counted before two of them reached it
    assert [c.display_name for c in paginator.page(1)] == ["Alpha", "Bravo", "Charlie"]
    paginator = LargeTablePaginator(Customer.objects.order_by("display_name"), 2, orphans=1)
    paginator.count = 2
    assert [c.display_name for c in paginator.page(1)] == ["Alpha", "Bravo", "Charlie"]


def test_a_list_with_few_matches_is_paged_by_their_keys_in_the_same_two_statements(
    monkeypatch, django_assert_num_queries
):
    """The count statement returns the keys of a few matches, and the page looks those rows up:
    the database is not left to walk a sort index past every row that does not match."""
    monkeypatch.setattr(LargeTablePaginator, "few_rows", 3)
    for name in ["Charlie", "Alpha", "Bravo"]:
        CustomerFactory(display_name=f"{name} Few")
    CustomerFactory.create_batch(3)
    few = Customer.objects.filter(display_name__endswith=" Few").order_by("display_name", "id")
    paginator = LargeTablePaginator(few, 2, orphans=0)
    with django_assert_num_queries(2) as captured:
        assert [c.display_name for c in paginator.page(2)] == ["Charlie Few"]
    assert paginator.count == 3
    assert sorted(paginator._matching_pks) == sorted(few.values_list("pk", flat=True))
    assert "ORDER BY" not in captured.captured_queries[0]["sql"]
    assert [c.display_name for c in paginator.page(1)] == ["Alpha Few", "Bravo Few"]


def test_a_list_with_more_matches_than_few_is_paged_through_its_sort_order(monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "few_rows", 2)
    for name in ["Charlie", "Alpha", "Bravo"]:
        CustomerFactory(display_name=f"{name} Many")
    many = Customer.objects.filter(display_name__endswith=" Many").order_by("-display_name", "-id")
    paginator = LargeTablePaginator(many, 2)
    assert paginator.count == 3
    assert paginator._matching_pks is None
    assert [c.display_name for c in paginator.page(1)] == ["Charlie Many", "Bravo Many"]
    assert [c.display_name for c in paginator.page(2)] == ["Alpha Many"]


def test_an_empty_list_has_one_empty_page():
    nobody = Customer.objects.filter(display_name="nobody").order_by("pk")
    paginator = LargeTablePaginator(nobody, 2)
    assert paginator.count == 0
    assert list(paginator.get_page(1)) == []
