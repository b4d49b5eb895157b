"""The managers' pages for webhooks and web forms: who may use them, what they show."""

import json

import pytest
from django.urls import reverse

from integrations.models import WebForm, WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.usefixtures("personas_in_one_team")


@pytest.fixture
def delivery(subscription):
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event="customer.created",
        event_key="customer:1",
        payload={"id": "customer:1", "event": "customer.created", "data": {"customer_id": 1}},
        state=WebhookDelivery.State.FAILED,
        attempts=6,
    )


PAGES = [
    ("integrations:subscription_list", None),
    ("integrations:subscription_create", None),
    ("integrations:subscription_detail", "subscription"),
    ("integrations:subscription_edit", "subscription"),
    ("integrations:delivery_detail", "delivery"),
    ("integrations:webform_list", None),
    ("integrations:webform_create", None),
    ("integrations:webform_detail", "webform"),
    ("integrations:webform_edit", "webform"),
]
ACTIONS = [
    ("integrations:subscription_activate", "subscription"),
    ("integrations:subscription_deactivate", "subscription"),
    ("integrations:subscription_rotate_secret", "subscription"),
    ("integrations:delivery_redeliver", "delivery"),
    ("integrations:webform_activate", "webform"),
    ("integrations:webform_deactivate", "webform"),
    ("integrations:webform_rotate_token", "webform"),
]


def _url(request, name, target):
    args = [request.getfixturevalue(target).pk] if target else []
    return reverse(name, args=args)


def test_anonymous_users_are_sent_to_log_in(request, client):
    for name, target in PAGES + ACTIONS:
        response = client.post(_url(request, name, target))
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("login")), name


@pytest.mark.parametrize("persona", ["sales_rep", "service_agent", "finance_clerk", "outsider"])
def test_roles_other_than_manager_are_refused(request, client, persona):
    client.force_login(request.getfixturevalue(persona))
    for name, target in PAGES + ACTIONS:
        assert client.post(_url(request, name, target)).status_code == 403, name
    assert not WebhookDelivery.objects.exclude(pk=request.getfixturevalue("delivery").pk).exists()


@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_managers_and_admins_open_every_page(request, client, persona):
    client.force_login(request.getfixturevalue(persona))
    for name, target in PAGES:
        assert client.get(_url(request, name, target)).status_code == 200, name


def test_state_changes_refuse_get(request, client, manager):
    client.force_login(manager)
    for name, target in ACTIONS:
        assert client.get(_url(request, name, target)).status_code == 405, name


def test_a_missing_record_is_404(client, manager):
    client.force_login(manager)
    for name in ("subscription_detail", "delivery_detail", "webform_detail"):
        assert client.get(reverse(f"integrations:{name}", args=[999999])).status_code == 404


def test_a_manager_creates_a_subscription_and_owns_it(client, manager, receiver):
    client.force_login(manager)
    response = client.post(
        reverse("integrations:subscription_create"),
        {"name": "Billing", "target_url": receiver.url, "events": ["payment.received"]},
    )
    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302
    assert response.url == subscription.get_absolute_url()
    assert (subscription.owner, subscription.events) == (manager, ["payment.received"])
    assert len(subscription.secret) == 64
    page = client.get(response.url)
    assert subscription.secret in page.content.decode()


def test_the_secret_is_shown_to_its_owner_only(client, subscription, other_manager):
    client.force_login(other_manager)
    page = client.get(subscription.get_absolute_url()).content.decode()
    assert subscription.secret not in page
    assert "Shown to the subscription" in page


@pytest.mark.parametrize(
    ("target_url", "message"),
    [
        ("ftp://example.com/hook", "http:// or https://"),
        ("javascript:alert(1)", "Enter a valid URL."),
        ("https://user:pw@example.com/hook", "user name and password"),
        ("http://127.0.0.1:8000/admin/", "loopback or private"),
        ("http://10.0.0.5/hook", "loopback or private"),
        ("http://[::1]/hook", "loopback or private"),
        ("http://169.254.169.254/latest/meta-data/", "loopback or private"),
        ("http://localhost/hook", "this server itself"),
    ],
)
def test_a_target_url_is_http_and_in_production_not_private(
    client, manager, settings, target_url, message
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client.force_login(manager)
    response = client.post(
        reverse("integrations:subscription_create"),
        {"name": "Bad", "target_url": target_url, "events": ["customer.created"]},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_subscription_needs_an_event(client, manager, receiver):
    client.force_login(manager)
    response = client.post(
        reverse("integrations:subscription_create"),
        {"name": "None", "target_url": receiver.url, "events": ["nonsense"]},
    )
    assert response.status_code == 200
    assert not WebhookSubscription.objects.exists()


def test_switching_off_and_on_again_resets_the_failures(client, manager, subscription):
    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=4)
    client.force_login(manager)
    client.post(reverse("integrations:subscription_deactivate", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert not subscription.active
    client.post(reverse("integrations:subscription_activate", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.active and subscription.consecutive_failures == 0


def test_rotating_the_secret_changes_it(client, manager, subscription):
    old = subscription.secret
    client.force_login(manager)
    response = client.post(
        reverse("integrations:subscription_rotate_secret", args=[subscription.pk])
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.secret != old


def test_the_delivery_log_lists_deliveries_within_a_query_budget(
    client, manager, subscription, django_assert_max_num_queries
):
    for n in range(30):
        WebhookDelivery.objects.create(
            subscription=subscription,
            event="payment.received",
            event_key=f"payment:{n}",
            payload={"id": f"payment:{n}"},
            state=WebhookDelivery.State.DELIVERED,
            attempts=1,
        )
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        response = client.get(subscription.get_absolute_url())
    assert response.content.decode().count("payment.received") >= 25


def test_the_delivery_page_shows_the_attempts_and_the_payload_escaped(client, manager, delivery):
    delivery.payload = {"data": {"display_name": "<script>alert(1)</script>"}}
    delivery.save()
    delivery.attempt_log.create(
        number=1, at=delivery.created_at, status_code=500, response_excerpt="boom", duration_ms=12
    )
    client.force_login(manager)
    page = client.get(reverse("integrations:delivery_detail", args=[delivery.pk])).content.decode()
    assert "boom" in page and ">500<" in page
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page


def test_redelivering_from_the_page_queues_a_new_delivery(
    client, manager, delivery, receiver, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("integrations:delivery_redeliver", args=[delivery.pk]))
    again = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert response.url == reverse("integrations:delivery_detail", args=[again.pk])
    assert again.state == WebhookDelivery.State.DELIVERED
    assert len(receiver.requests) == 1


def test_redelivering_for_a_switched_off_subscription_is_refused_with_a_message(
    client, manager, delivery
):
    WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(active=False)
    client.force_login(manager)
    response = client.post(
        reverse("integrations:delivery_redeliver", args=[delivery.pk]), follow=True
    )
    assert "Activate the subscription" in response.content.decode()
    assert WebhookDelivery.objects.count() == 1


def test_a_manager_sets_up_a_web_form_and_gets_its_snippet(client, manager, sales_rep):
    client.force_login(manager)
    response = client.post(
        reverse("integrations:webform_create"),
        {
            "name": "Contact us",
            "slug": "contact-us",
            "allowed_origin": "https://www.example.com",
            "redirect_url": "https://www.example.com/thanks",
            "owner": sales_rep.pk,
        },
    )
    webform = WebForm.objects.get()
    assert response.url == webform.get_absolute_url()
    assert (webform.created_by, webform.owner) == (manager, sales_rep)
    page = client.get(response.url).content.decode()
    assert f"/forms/contact-us/?token={webform.token}" in page
    assert 'name="homepage"' in page.replace("&quot;", '"')


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"allowed_origin": "https://www.example.com/contact"}, "origin only"),
        ({"allowed_origin": "ftp://example.com"}, "origin only"),
        (
            {"allowed_origin": "https://www.example.com", "redirect_url": "https://evil.example/"},
            "must be on the allowed origin",
        ),
        ({"redirect_url": "https://www.example.com/thanks"}, "Set the allowed origin"),
    ],
)
def test_a_web_forms_origin_and_redirect_are_checked(client, manager, fields, error):
    client.force_login(manager)
    response = client.post(
        reverse("integrations:webform_create"), {"name": "Form", "slug": "form", **fields}
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not WebForm.objects.exists()


def test_a_taken_address_is_a_form_error(client, manager, webform):
    client.force_login(manager)
    response = client.post(
        reverse("integrations:webform_create"), {"name": "Again", "slug": webform.slug}
    )
    assert response.status_code == 200
    assert WebForm.objects.count() == 1


def test_rotating_the_token_refuses_the_old_one(client, manager, webform):
    old = webform.token
    client.force_login(manager)
    client.post(reverse("integrations:webform_rotate_token", args=[webform.pk]))
    webform.refresh_from_db()
    assert webform.token != old
    client.logout()
    path = reverse("integrations:webform_post", args=[webform.slug])
    assert client.post(f"{path}?token={old}", {"first_name": "A"}).status_code == 404


def test_the_menu_offers_integrations_to_managers_only(client, manager, sales_rep):
    client.force_login(manager)
    assert reverse("integrations:subscription_list") in client.get("/").content.decode()
    client.force_login(sales_rep)
    assert reverse("integrations:subscription_list") not in client.get("/").content.decode()


def test_changes_to_a_subscription_are_audited_without_its_secret(client, manager, receiver):
    from core.models import AuditEvent

    client.force_login(manager)
    client.post(
        reverse("integrations:subscription_create"),
        {"name": "Billing", "target_url": receiver.url, "events": ["payment.received"]},
    )
    subscription = WebhookSubscription.objects.get()
    client.post(reverse("integrations:subscription_rotate_secret", args=[subscription.pk]))
    client.post(reverse("integrations:subscription_deactivate", args=[subscription.pk]))
    subscription.refresh_from_db()
    rows = AuditEvent.objects.filter(
        model="integrations.webhooksubscription", object_id=subscription.pk
    ).order_by("at", "id")
    assert [row.action for row in rows] == ["create", "update"]  # the rotation is not a change
    assert rows[0].user == manager
    assert "secret" not in json.dumps([row.changes for row in rows])
    assert subscription.secret not in json.dumps([row.changes for row in rows])
