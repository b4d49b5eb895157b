"""PostgreSQL computes the scores in SQL; every other database runs analytics.formulas in
Python. Both must give exactly the same scores on the same data."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from analytics import scoring, scoring_sql
from analytics.models import CustomerScore, ScoringParameters
from customers.models import Customer, CustomerValue
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


def test_a_full_rescore_after_new_parameters_writes_the_python_formulas_scores(monkeypatch):
    """New parameters change every score: each batch is locked and scored once, in SQL, and
    every customer ends up with exactly one current score, the one analytics.formulas gives."""
    if connection.vendor != "postgresql":
        pytest.skip("The SQL path is PostgreSQL's.")
    datagen.generate(customers=60, seed=11, today=AS_OF)
    scoring.score_all_customers(as_of=AS_OF, batch_size=25)
    before = list(CustomerScore.objects.current().values_list("pk", flat=True))
    old = ScoringParameters.objects.current()
    newer = ScoringParameters.objects.create(
        version=old.version + 1,
        exchange_rates={"EUR": "4.1", "USD": "3.9", "GBP": "5.2"},
        annual_discount_rate=Decimal("5"),
        late_tolerance_days=30,
        overdue_penalty=Decimal("1.00"),
        grade_a_min_ltv=Decimal("20000"),
    )
    customers = list(Customer.objects.current().order_by("pk").values_list("pk", "last_contact_at"))
    expected = {
        pk: score
        for pk, _, score, _ in scoring.changed_scores_python(
            customers[0][0],
            customers[-1][0],
            params=newer,
            as_of=AS_OF,
            last_contacts=dict(customers),
        )
    }
    assert len(expected) == len(customers)
    unlocked_reads = []
    read = scoring_sql.changed_ids

    def counted(*args, **kwargs):
        unlocked_reads.append(args)
        return read(*args, **kwargs)

    monkeypatch.setattr(scoring_sql, "changed_ids", counted)

    run = scoring.score_all_customers(as_of=AS_OF, batch_size=25)

    assert run.changed == len(customers)
    assert unlocked_reads == []  # most of each batch changes: locked at once, scored once
    current = CustomerScore.objects.current()
    assert current.count() == len(customers)
    assert not current.filter(pk__in=before).exists()  # the previous scores are history
    for score in current:
        assert score.parameters_id == newer.pk
        wanted = expected[score.customer_id]
        assert [getattr(score, name) for name in scoring.SCORE_FIELDS] == [
            getattr(wanted, name) for name in scoring.SCORE_FIELDS
        ]
    shown = CustomerValue.objects.filter(pk__in=expected)
    assert {
        value.pk: (value.grade, value.ltv, value.payment_reliability, value.avg_days_late)
        for value in shown
    } == {
        pk: (score.grade, score.ltv, score.payment_reliability, score.avg_days_late)
        for pk, score in expected.items()
    }
    assert len({score.grade for score in expected.values()}) >= 3

    # The night after, nothing changed: read without locks, nothing written.
    assert scoring.score_all_customers(as_of=AS_OF, batch_size=25).changed == 0
    assert unlocked_reads
