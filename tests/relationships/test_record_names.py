"""How finance records name themselves where a page lists them by name (the audit, the admin)."""

from datetime import date
from decimal import Decimal

from django.utils import translation

from tests.factories import PaymentFactory, PayoutFactory


def test_a_payment_and_a_payout_are_named_as_the_reader_writes_money_and_dates():
    payment = PaymentFactory.build(
        amount=Decimal("1680.00"), currency="PLN", paid_on=date(2026, 12, 7)
    )
    payout = PayoutFactory.build(amount=Decimal("6590.00"), currency="CZK", kind="bonus")
    with translation.override("pl"):
        assert str(payment) == "1\xa0680,00\xa0zł · 07.12.2026"
    with translation.override("en"):
        assert str(payment) == "1,680.00 PLN · 12/07/2026"
        assert str(payout) == "Bonus 6,590.00 CZK"


def test_a_relationship_is_named_with_its_start_in_the_readers_format():
    from relationships.models import Relationship
    from tests.factories import CustomerFactory

    relationship = Relationship(
        customer=CustomerFactory.build(display_name="Hurtownia Zieleń"),
        started_on=date(2026, 11, 19),
    )
    with translation.override("pl"):
        assert str(relationship).endswith(" · 19.11.2026")
        assert str(relationship).startswith("Hurtownia Zieleń · ")
