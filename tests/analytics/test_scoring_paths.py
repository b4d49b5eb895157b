"""PostgreSQL computes the scores in SQL; every other database runs analytics.formulas in
Python. Both must give exactly the same scores on the same data."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from analytics import scoring, scoring_sql
from analytics.models import ScoringParameters
from customers.models import Customer
from demo import datagen

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


@pytest.mark.parametrize("discount_rate", ["0", "7.5"])
def test_sql_and_python_give_identical_scores(discount_rate):
    if connection.vendor != "postgresql":
        pytest.skip("The SQL path is PostgreSQL's.")
    datagen.generate(customers=120, seed=7, today=AS_OF)
    params = ScoringParameters.objects.current()
    params.exchange_rates = {"EUR": "4.3", "CZK": "0.17"}  # GBP and USD left out on purpose
    params.annual_discount_rate = Decimal(discount_rate)
    params.save()
    ids = list(Customer.objects.order_by("pk").values_list("pk", "last_contact_at"))
    lo, hi = ids[0][0], ids[-1][0]
    by_sql = scoring_sql.changed_scores(lo, hi, params=params, as_of=AS_OF)
    by_python = scoring.changed_scores_python(
        lo, hi, params=params, as_of=AS_OF, last_contacts=dict(ids)
    )
    assert len(by_sql) == len(ids)  # nothing scored yet: every score is new
    assert by_sql == by_python
    graded = [score for _, _, score, _ in by_sql if score.grade]
    assert len({score.grade for score in graded}) >= 3  # the data exercises the formulas
    assert any(score.payment_reliability not in (None, 100) for score in graded)
    assert any(score.avg_days_late for score in graded)
