"""Data quality: the managers' template of a complete record, the nightly completeness job, and
the report of completeness per customer, per owner and overall."""

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import quality, tasks
from analytics.models import CustomerQuality, DataQualityTemplate
from core.permissions import SALES
from customers.models import Customer
from tests.factories import ContactPersonFactory, CustomerFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("analytics:data_quality")
EDIT_URL = reverse("analytics:data_quality_template_edit")


@pytest.fixture
def olga(db):
    return UserFactory(username="olga_owner", roles=[SALES])


@pytest.fixture
def records(sales_rep, olga):
    """Complete (sally's), Half-done (olga's, 4 of 12 checks) and Bare (nobody's, 1 of 12)."""
    complete = CustomerFactory(
        display_name="Complete",
        owner=sales_rep,
        tax_id="PL1234567890",
        street="Długa 1",
        postal_code="00-001",
        city="Warszawa",
        country="PL",
    )
    complete.segments.set([SegmentFactory(name="Retail")])
    ContactPersonFactory(customer=complete, is_primary=True)
    half = CustomerFactory(display_name="Half-done", owner=olga)  # e-mail, phone, owner, contact
    ContactPersonFactory(customer=half, email="")
    bare = CustomerFactory(display_name="Bare", kind=Customer.Kind.PERSON, email="", phone="")
    return {"complete": complete, "half": half, "bare": bare}


def stored(customer):
    return CustomerQuality.objects.get(customer=customer)


def test_the_default_template_checks_twelve_things_and_not_marketing_consent():
    template = DataQualityTemplate.objects.current()
    codes = [check.code for check in quality.enabled_checks(template)]
    assert len(codes) == 12 and "marketing_consent" not in codes
    assert DataQualityTemplate.objects.current().pk == template.pk  # one row, created once


def test_completeness_is_the_share_of_the_templates_checks_a_record_passes(records):
    result = quality.compute_all()
    assert result == {"checked": 3, "changed": 3}
    assert (stored(records["complete"]).score, stored(records["complete"]).failed_checks) == (
        100,
        0,
    )
    half = stored(records["half"])
    assert half.score == 33  # 4 of 12
    assert quality.failed_labels(half.failed_checks) == [
        "street",
        "postal code",
        "city",
        "country",
        "tax id",
        "segment",
        "primary contact",
        "contact's e-mail",
    ]
    bare = stored(records["bare"])
    assert bare.score == 8  # a person needs no tax id: 1 of 12
    assert "tax id" not in quality.failed_labels(bare.failed_checks)


def test_the_job_is_idempotent_and_rewrites_only_what_changed(records):
    quality.compute_all(batch_size=2)
    first = {row.customer_id: row.computed_at for row in CustomerQuality.objects.all()}
    assert quality.compute_all(batch_size=2) == {"checked": 3, "changed": 0}
    assert {row.customer_id: row.computed_at for row in CustomerQuality.objects.all()} == first
    Customer.objects.filter(pk=records["half"].pk).update(street="Krótka 2")
    assert quality.compute_all(batch_size=2) == {"checked": 3, "changed": 1}
    assert stored(records["half"]).score == 42  # 5 of 12


def test_the_nightly_task_runs_after_scoring():
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE
    job = next(e for e in schedule.values() if e["task"] == "analytics.tasks.compute_data_quality")
    scoring = schedule["analytics-score-customers"]["schedule"]
    assert (min(job["schedule"].hour), min(job["schedule"].minute)) > (
        min(scoring.hour),
        min(scoring.minute),
    )
    assert tasks.compute_data_quality() == {"checked": 0, "changed": 0}


def test_the_report_shows_completeness_overall_per_owner_and_the_records_to_fix(
    persona_client, manager, records
):
    quality.compute_all()
    CustomerFactory(display_name="Newcomer")  # created after the job: not checked yet
    response = persona_client(manager).get(URL)
    summary = response.context["summary"]
    assert round(summary["average"], 1) == 47.0  # (100 + 33 + 8) / 3
    assert (summary["checked"], summary["complete"], summary["below_target"]) == (3, 1, 2)
    assert summary["not_checked"] == 1
    failing = {check.code: count for check, count in summary["failing"]}
    assert (failing["street"], failing["owner"], failing["email"]) == (2, 1, 1)
    per_owner = [
        (row["owner"].username if row["owner"] else None, row["checked"], row["average"])
        for row in response.context["per_owner"]
    ]
    assert per_owner == [(None, 1, 8), ("olga_owner", 1, 33), ("sally_sales", 1, 100)]
    assert [r.customer.display_name for r in response.context["page"]] == ["Bare", "Half-done"]
    body = response.content.decode()
    assert reverse("customers:edit", args=[records["bare"].pk]) in body
    assert "primary contact, contact&#x27;s e-mail" in body


def test_the_records_to_fix_filter_by_owner_and_failing_check(
    persona_client, manager, olga, records
):
    quality.compute_all()
    client = persona_client(manager)
    owned = client.get(URL, {"owner": olga.pk}).context
    assert [r.customer.display_name for r in owned["page"]] == ["Half-done"]
    assert owned["summary"]["checked"] == 1
    no_owner = client.get(URL, {"check": "owner"}).context
    assert [r.customer.display_name for r in no_owner["page"]] == ["Bare"]


def test_the_csv_exports_the_records_and_the_owners(persona_client, manager, records):
    quality.compute_all()
    client = persona_client(manager)
    lines = client.get(URL, {"format": "csv"}).content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Customer,Customer id,Owner,Completeness,Missing"
    assert lines[1].startswith(f"Bare,{records['bare'].pk},No owner,8,e-mail; phone; street")
    assert len(lines) == 3
    owners = client.get(URL, {"format": "csv", "table": "owners"}).content.decode("utf-8-sig")
    assert owners.splitlines()[1:] == [
        "No owner,1,8.0,0,1",
        "olga_owner,1,33.0,0,1",
        "sally_sales,1,100.0,1,0",
    ]


def test_a_manager_changes_the_template_and_every_score_is_recomputed(
    persona_client, manager, records, django_capture_on_commit_callbacks
):
    quality.compute_all()
    data = {f"require_{code}": "on" for code in ("email", "phone", "owner")}
    with django_capture_on_commit_callbacks(execute=True):
        response = persona_client(manager).post(EDIT_URL, {**data, "target": "90"})
    assert response.status_code == 302 and response["Location"] == URL
    template = DataQualityTemplate.objects.current()
    assert (template.require_street, template.target, template.updated_by) == (False, 90, manager)
    assert template.computed_at is not None
    assert stored(records["half"]).score == 100
    assert stored(records["bare"]).score == 0


def test_template_errors_show_beside_the_fields_and_nothing_is_saved(persona_client, manager):
    before = DataQualityTemplate.objects.current()
    client = persona_client(manager)
    response = client.post(EDIT_URL, {"require_email": "on", "target": "150"})
    assert response.status_code == 200
    assert "target" in response.context["form"].errors
    nothing = client.post(EDIT_URL, {"target": "80"})
    assert "Choose at least one thing" in str(nothing.context["form"].non_field_errors())
    after = DataQualityTemplate.objects.get()
    assert (after.require_street, after.target, after.updated_at) == (
        True,
        80,
        before.updated_at,
    )


def test_only_managers_see_the_report_and_change_the_template(
    client, persona_client, sales_rep, manager
):
    assert [client.get(url).status_code for url in (URL, EDIT_URL)] == [302, 302]
    sales = persona_client(sales_rep)
    assert [sales.get(url).status_code for url in (URL, EDIT_URL)] == [403, 403]
    assert sales.post(EDIT_URL, {"require_email": "on", "target": "50"}).status_code == 403
    managers = persona_client(manager)
    assert [managers.get(url).status_code for url in (URL, EDIT_URL)] == [200, 200]


def test_the_report_needs_a_fixed_number_of_queries(
    persona_client, manager, records, django_assert_max_num_queries
):
    quality.compute_all()
    for n in range(30):
        CustomerQuality.objects.create(
            customer=CustomerFactory(display_name=f"Poor {n}"),
            score=50,
            failed_checks=1,
            computed_at=timezone.now(),
        )
    client = persona_client(manager)
    with django_assert_max_num_queries(14):
        response = client.get(URL)
    assert len(response.context["page"].object_list) == 25


def test_the_first_view_computes_the_scores_of_a_small_database(persona_client, manager, records):
    response = persona_client(manager).get(URL)
    assert response.context["summary"]["checked"] == 3
    assert "being computed" not in response.content.decode()


def test_customers_not_checked_yet_are_counted_up_to_a_cap(
    persona_client, manager, records, monkeypatch
):
    quality.compute_all()
    CustomerFactory.create_batch(3)
    monkeypatch.setattr(quality, "NOT_CHECKED_CAP", 2)
    response = persona_client(manager).get(URL)
    summary = response.context["summary"]
    assert (summary["not_checked"], summary["not_checked_over_cap"]) == (3, True)
    assert "more than 2" in response.content.decode()
    monkeypatch.setattr(quality, "NOT_CHECKED_CAP", 3)
    summary = quality.summary(DataQualityTemplate.objects.current())
    assert (summary["not_checked"], summary["not_checked_over_cap"]) == (3, False)
