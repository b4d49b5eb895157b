"""load_demo: demo logins for every role, and demo customers on an empty database, once."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.urls import reverse

from core.models import AuditEvent, UserProfile
from core.permissions import ALL_ROLES
from customers.models import ContactPerson, Customer
from relationships.models import Interaction, Relationship

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = ["sales", "service", "finance", "manager", "admin"]


@pytest.fixture(autouse=True)
def debug(settings):
    settings.DEBUG = True


def load_demo(*args):
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (get_user_model(), Customer, ContactPerson, Relationship, Interaction)
    }


def test_it_adds_demo_customers_owned_mostly_by_the_sales_user():
    load_demo()

    assert Customer.objects.count() == 300
    owners = dict(
        Customer.objects.values_list("owner__username").annotate(n=Count("pk")).order_by()
    )
    assert set(owners) <= {"sales", "manager"}
    assert owners["sales"] > 150
    authors = set(Interaction.objects.values_list("created_by__username", flat=True))
    assert authors <= {"sales", "service", "finance", "manager"}


def test_running_it_again_creates_nothing_new():
    load_demo("--customers=20")
    before = counts()

    output = load_demo("--customers=20")

    assert counts() == before
    assert before["Customer"] == 20
    assert "no demo customers were added" in output


def test_it_leaves_an_existing_customer_base_alone():
    Customer.objects.create(
        display_name="Real customer", source="other", first_contact_on="2025-01-01"
    )

    load_demo()

    assert list(Customer.objects.values_list("display_name", flat=True)) == ["Real customer"]
    assert get_user_model().objects.filter(username__in=DEMO_USERNAMES).count() == 5


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_demo_users_log_in_with_the_password_demo(client, username):
    load_demo("--customers=0")

    response = client.post(reverse("login"), {"username": username, "password": "demo"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        get_user_model().objects.get(username=username).pk
    )


def test_demo_users_hold_their_roles():
    load_demo("--customers=0")

    users = get_user_model().objects.filter(username__in=DEMO_USERNAMES)
    for role in ALL_ROLES:
        assert list(users.filter(groups__name=role).values_list("username", flat=True)) == [role]
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not users.exclude(username="admin").filter(is_staff=True).exists()


def test_demo_users_have_e_mail_addresses_so_warnings_and_digests_reach_them():
    load_demo("--customers=0")

    emails = dict(
        get_user_model()
        .objects.filter(username__in=DEMO_USERNAMES)
        .values_list("username", "email")
    )
    assert emails == {name: f"{name}@example.com" for name in DEMO_USERNAMES}


def test_an_e_mail_address_a_demo_user_changed_survives_another_run():
    load_demo("--customers=0")
    get_user_model().objects.filter(username="sales").update(email="sally@firma.pl")

    load_demo("--customers=0")

    assert get_user_model().objects.get(username="sales").email == "sally@firma.pl"


def test_it_resets_a_changed_demo_password():
    load_demo("--customers=0")
    sales = get_user_model().objects.get(username="sales")
    sales.set_password("something-else-1")
    sales.save()

    load_demo("--customers=0")

    sales.refresh_from_db()
    assert sales.check_password("demo")


def test_it_prints_the_logins_and_the_address():
    output = load_demo("--customers=0")

    for username in DEMO_USERNAMES:
        assert f"  {username} " in output
    assert "http://127.0.0.1:8000/" in output


def test_demo_users_work_in_a_mix_of_languages_and_the_logins_say_which():
    output = load_demo("--customers=0")

    languages = dict(
        get_user_model()
        .objects.filter(username__in=DEMO_USERNAMES)
        .values_list("username", "crm_profile__language")
    )
    assert languages == {
        "sales": "pl",
        "service": "cs",
        "finance": "ru",
        "manager": "en",
        "admin": "",
    }
    lines = {line.split()[0]: line for line in output.splitlines() if line.startswith("  ")}
    assert "Polski" in lines["sales"]
    assert "Čeština" in lines["service"]
    assert "Русский" in lines["finance"]
    assert "English" in lines["manager"]
    assert "the browser's language" in lines["admin"]


def test_a_language_a_demo_user_chose_survives_another_run():
    load_demo("--customers=0")
    UserProfile.objects.filter(user__username="sales").update(language="cs")

    load_demo("--customers=0")

    assert UserProfile.objects.get(user__username="sales").language == "cs"


def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        load_demo()

    assert not get_user_model().objects.filter(username="admin").exists()


def test_it_puts_the_demo_users_in_teams_and_prints_them():
    output = load_demo("--customers=0")

    teams = {
        user.username: sorted(user.crm_teams.values_list("name", flat=True))
        for user in get_user_model().objects.filter(username__in=DEMO_USERNAMES)
    }
    assert teams == {
        "sales": ["Sales Warsaw"],
        "service": ["Sales Warsaw", "Service"],
        "finance": ["Finance"],
        "manager": ["Sales Prague"],
        "admin": [],
    }
    assert "Sales Warsaw, Service" in output
    # Running it again keeps one membership per team.
    load_demo("--customers=0")
    assert get_user_model().objects.get(username="service").crm_teams.count() == 2


def test_the_demo_has_changes_by_its_users_in_the_audit():
    load_demo("--customers=10")

    changes = AuditEvent.objects.filter(action="update").select_related("user")
    assert {(e.model, e.user.username) for e in changes} >= {
        ("customers.customer", "sales"),
        ("relationships.relationship", "manager"),
    }


def test_the_managers_pages_have_targets_rules_and_a_forecast_history(client):
    from analytics import forecast
    from analytics.models import ForecastSnapshot
    from processes.models import DecisionRule, KpiTarget

    load_demo()

    assert KpiTarget.objects.filter(metric=KpiTarget.Metric.WIN_RATE).exists()
    assert KpiTarget.objects.filter(metric=KpiTarget.Metric.SLA_MET_RATE).exists()
    assert DecisionRule.objects.filter(name="Worth keeping", min_grade="B").exists()
    assert ForecastSnapshot.objects.exists()
    today = forecast.timezone.localdate()
    months = [forecast.month_start(today, back) for back in range(6, 0, -1)]
    rows = forecast.forecast_accuracy(months=months, definitions=forecast.sales_definitions())
    assert any(row.accuracy is not None for row in rows)
    client.force_login(get_user_model().objects.get(username="manager"))
    page = client.get(reverse("analytics:forecast")).content.decode()
    assert 'data-chart="chart-accuracy"' in page


def test_the_steering_data_is_added_once():
    from analytics.models import ForecastSnapshot
    from processes.models import DecisionRule, KpiTarget

    load_demo("--customers=20")
    before = (KpiTarget.objects.count(), DecisionRule.objects.count())
    snapshots = ForecastSnapshot.objects.count()

    load_demo("--customers=20")

    assert (KpiTarget.objects.count(), DecisionRule.objects.count()) == before
    assert ForecastSnapshot.objects.count() == snapshots
