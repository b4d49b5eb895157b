"""A manager subscribes a receiver to webhooks and sees a delivery in its log."""

from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Customer
from integrations.models import WebForm
from relationships import services as relationship_services
from relationships.models import Interaction
from tests.integrations.conftest import receiver  # noqa: F401  (the real HTTP receiver)


def test_a_manager_creates_a_subscription_and_sees_a_delivery_in_the_log(
    login,
    page,
    screenshot,
    manager,
    receiver,  # noqa: F811
):
    login(manager)
    page.get_by_role("button", name="More").click()
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="New subscription").click()
    page.get_by_label("Name").fill("Mailing tool")
    page.get_by_label("Target URL").fill(receiver.url)
    page.get_by_label("customer.created").check()
    page.get_by_role("button", name="Save subscription").click()
    secret = page.locator("#secret").inner_text()
    assert len(secret) == 64
    expect(page.locator("#deliveries")).to_contain_text("Nothing delivered yet.")

    # A colleague registers a customer meanwhile: the event goes out after the commit.
    relationship_services.customer_register(
        customer=Customer(
            display_name="Nordic Parts AB",
            source=Customer.Source.REFERRAL,
            first_contact_on=timezone.localdate(),
        ),
        first_contact={
            "channel": Interaction.Channel.CALL,
            "direction": Interaction.Direction.INBOUND,
            "subject": "Asked for prices",
        },
        by=manager,
    )
    assert len(receiver.requests) == 1

    page.reload()
    log = page.locator("#deliveries")
    expect(log).to_contain_text("customer.created")
    expect(log).to_contain_text("Delivered")
    screenshot("webhook-subscription")
    log.get_by_role("link", name="Details").click()
    expect(page.locator("#attempts")).to_contain_text("200")
    expect(page.locator("#payload")).to_contain_text("Nordic Parts AB")
    screenshot("webhook-delivery")

    # The web form's page gives the snippet to paste into the website.
    webform = WebForm.objects.create(
        name="Contact page",
        slug="contact",
        allowed_origin="https://www.example.com",
        created_by=manager,
    )
    page.goto(webform.get_absolute_url())
    expect(page.locator("#snippet")).to_contain_text(f"/forms/contact/?token={webform.token}")
    expect(page.locator("#snippet")).to_contain_text('name="homepage"')
    screenshot("web-form")
