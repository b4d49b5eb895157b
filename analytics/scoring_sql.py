"""The scoring formulas of analytics.formulas, computed by PostgreSQL for a batch of customers.

One statement per batch reads the batch's invoices (each with its payments, through the payment
index), paid payouts, active recurring contracts, recent interactions and open tickets, converts
every amount to the base currency, applies the formulas, compares the result with each
customer's current score and returns only the scores that changed. In the steady state (nothing
changed since the last night) no row crosses to Python at all.

analytics.formulas stays the specification: the SQL below follows it step by step, the
contracts' discount factors are computed by it (and passed in as a table), and a test runs both
over the same generated data and requires identical scores.
"""

from datetime import datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from . import formulas

SQL = """
WITH rates(currency, rate) AS (VALUES {rates}),
factors(months, factor) AS (VALUES {factors}),
invoices AS (
    SELECT i.customer_id, r.rate, i.amount, i.amount - i.paid_amount AS balance,
           i.due_date < %(as_of)s AS past_due, i.written_off_at IS NULL AS open, pay.*
    FROM relationships_invoice i
    LEFT JOIN rates r ON r.currency = i.currency
    CROSS JOIN LATERAL (
        SELECT sum(p.amount) AS paid,
               sum(p.amount) FILTER (WHERE p.paid_on > %(year_ago)s) AS paid_12m,
               sum(p.amount) FILTER (WHERE p.paid_on <= i.due_date) AS on_time,
               sum(p.amount) FILTER (WHERE p.paid_on > i.due_date) AS late,
               sum(p.amount * (p.paid_on - i.due_date))
                   FILTER (WHERE p.paid_on > i.due_date) AS late_days,
               sum(p.amount * least(p.paid_on - i.due_date, %(tolerance)s))
                   FILTER (WHERE p.paid_on > i.due_date) AS late_capped
        FROM relationships_payment p
        WHERE p.invoice_id = i.id AND p.paid_on <= %(as_of)s
    ) pay
    WHERE i.customer_id BETWEEN %(lo)s AND %(hi)s
),
billing AS (
    SELECT customer_id,
           coalesce(sum(paid * rate), 0) AS paid,
           coalesce(sum(paid_12m * rate), 0) AS paid_12m,
           coalesce(sum(amount * rate) FILTER (WHERE past_due), 0) AS due,
           coalesce(sum(on_time * rate) FILTER (WHERE past_due), 0) AS on_time,
           coalesce(sum(late * rate) FILTER (WHERE past_due), 0) AS late,
           coalesce(sum(late_days * rate) FILTER (WHERE past_due), 0) AS late_days,
           coalesce(sum(late_capped * rate) FILTER (WHERE past_due), 0) AS late_capped,
           coalesce(sum(balance * rate) FILTER (WHERE past_due), 0) AS unpaid,
           coalesce(sum(balance * rate) FILTER (WHERE past_due AND open), 0) AS overdue
    FROM invoices GROUP BY customer_id
),
payouts AS (
    SELECT o.customer_id,
           coalesce(sum(o.amount * r.rate), 0) AS total,
           coalesce(sum(o.amount * r.rate)
               FILTER (WHERE (o.paid_at AT TIME ZONE %(tz)s)::date > %(year_ago)s), 0) AS last_12m
    FROM relationships_payout o
    LEFT JOIN rates r ON r.currency = o.currency
    WHERE o.customer_id BETWEEN %(lo)s AND %(hi)s AND o.status = 'paid'
      AND (o.paid_at AT TIME ZONE %(tz)s)::date <= %(as_of)s
    GROUP BY o.customer_id
),
contracts AS (
    SELECT k.customer_id,
           coalesce(sum(
               k.value / CASE k.billing_period WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 3
                                               ELSE 12 END
               * f.factor * r.rate
           ), 0) AS future
    FROM relationships_contract k
    LEFT JOIN rates r ON r.currency = k.currency
    JOIN factors f ON f.months = CASE
        WHEN k.end_date IS NULL THEN %(horizon)s
        WHEN k.end_date <= %(as_of)s THEN 0
        ELSE greatest(0, least(%(horizon)s,
            (extract(year FROM k.end_date)::int - %(year)s) * 12
            + extract(month FROM k.end_date)::int - %(month)s
            - CASE WHEN extract(day FROM k.end_date)::int < %(day)s THEN 1 ELSE 0 END))
        END
    WHERE k.customer_id BETWEEN %(lo)s AND %(hi)s AND k.status = 'active'
      AND k.billing_period IN ('monthly', 'quarterly', 'yearly')
    GROUP BY k.customer_id
),
contacts AS (
    SELECT customer_id, count(*) AS n
    FROM relationships_interaction
    WHERE customer_id BETWEEN %(lo)s AND %(hi)s
      AND occurred_at >= %(window_start)s AND occurred_at < %(window_end)s
    GROUP BY customer_id
),
tickets AS (
    SELECT pi.customer_id, count(*) AS n
    FROM processes_ticket t
    JOIN processes_processinstance pi ON pi.id = t.instance_id
    WHERE pi.customer_id BETWEEN %(lo)s AND %(hi)s AND pi.closed_at IS NULL
    GROUP BY pi.customer_id
),
figures AS (
    SELECT c.id AS customer_id,
           round(coalesce(b.paid, 0) - coalesce(o.total, 0) + coalesce(k.future, 0), 2) AS ltv,
           round(coalesce(b.paid_12m, 0) - coalesce(o.last_12m, 0), 2) AS net_12m,
           CASE WHEN coalesce(b.due, 0) > 0 THEN round(least(100, greatest(0,
               100 * (b.on_time + (b.late - b.late_capped / %(tolerance)s)
                      - %(penalty)s * b.unpaid) / b.due)), 2)
           END AS reliability,
           CASE WHEN coalesce(b.on_time, 0) + coalesce(b.late, 0) > 0
               THEN round(b.late_days / (b.on_time + b.late), 1)
           END AS days_late,
           round(coalesce(b.overdue, 0), 2) AS overdue,
           CASE WHEN c.last_contact_at IS NOT NULL THEN greatest(0,
               %(as_of)s::date - (c.last_contact_at AT TIME ZONE %(tz)s)::date)
           END AS days_since,
           coalesce(ct.n, 0) AS interactions_90d,
           coalesce(t.n, 0) AS open_tickets,
           (b.customer_id IS NOT NULL OR o.customer_id IS NOT NULL
            OR k.customer_id IS NOT NULL) AS has_billing,
           c.scored_at, c.grade AS shown_grade, c.ltv AS shown_ltv,
           c.ltv_currency AS shown_currency, c.payment_reliability AS shown_reliability,
           c.avg_days_late AS shown_days_late
    FROM customers_customer c
    LEFT JOIN billing b ON b.customer_id = c.id
    LEFT JOIN payouts o ON o.customer_id = c.id
    LEFT JOIN contracts k ON k.customer_id = c.id
    LEFT JOIN contacts ct ON ct.customer_id = c.id
    LEFT JOIN tickets t ON t.customer_id = c.id
    WHERE c.id BETWEEN %(lo)s AND %(hi)s
),
scores AS (
    SELECT f.*, CASE
        WHEN NOT f.has_billing THEN NULL
        WHEN f.ltv >= %(a_ltv)s AND coalesce(f.reliability >= %(a_rel)s, true) THEN 'A'
        WHEN f.ltv >= %(b_ltv)s AND coalesce(f.reliability >= %(b_rel)s, true) THEN 'B'
        WHEN f.ltv >= %(c_ltv)s AND coalesce(f.reliability >= %(c_rel)s, true) THEN 'C'
        ELSE 'D' END AS grade
    FROM figures f
)
SELECT s.customer_id, cs.id, s.ltv, s.net_12m, s.reliability, s.days_late, s.overdue,
       s.days_since, s.interactions_90d, s.open_tickets, s.grade,
       s.scored_at IS NULL
       OR (s.shown_grade, s.shown_ltv, s.shown_currency, s.shown_reliability, s.shown_days_late)
          IS DISTINCT FROM (s.grade, s.ltv, %(base)s, s.reliability, s.days_late)
FROM scores s
LEFT JOIN analytics_customerscore cs
    ON cs.customer_id = s.customer_id AND cs.is_current
   AND cs.customer_id BETWEEN %(lo)s AND %(hi)s
WHERE cs.id IS NULL OR cs.parameters_id <> %(parameters)s
   OR (cs.currency, cs.ltv, cs.net_revenue_12m, cs.payment_reliability, cs.avg_days_late,
       cs.overdue_amount, cs.interactions_90d, cs.open_tickets, cs.grade)
      IS DISTINCT FROM (%(base)s, s.ltv, s.net_12m, s.reliability, s.days_late, s.overdue,
                        s.interactions_90d, s.open_tickets, s.grade)
ORDER BY s.customer_id
"""


def statement(lo, hi, *, params, as_of):
    """The SQL and its parameters for the batch lo <= id <= hi (EXPLAIN it to see the plan)."""
    rates = sorted(params.rates().items())
    horizon = params.ltv_horizon_months
    factors = [
        (months, formulas.discount_factor_sum(months, params.annual_discount_rate))
        for months in range(horizon + 1)
    ]
    values = {
        "lo": lo,
        "hi": hi,
        "as_of": as_of,
        "year_ago": as_of - timedelta(days=365),
        "year": as_of.year,
        "month": as_of.month,
        "day": as_of.day,
        "tz": timezone.get_current_timezone_name(),
        "tolerance": params.late_tolerance_days,
        "penalty": params.overdue_penalty,
        "horizon": horizon,
        "window_start": timezone.make_aware(datetime.combine(as_of - timedelta(days=89), time.min)),
        "window_end": timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min)),
        "a_ltv": params.grade_a_min_ltv,
        "a_rel": params.grade_a_min_reliability,
        "b_ltv": params.grade_b_min_ltv,
        "b_rel": params.grade_b_min_reliability,
        "c_ltv": params.grade_c_min_ltv,
        "c_rel": params.grade_c_min_reliability,
        "parameters": params.pk,
        "base": params.base_currency,
    }
    for n, (currency, rate) in enumerate(rates):
        values[f"currency{n}"], values[f"rate{n}"] = currency, rate
    for months, factor in factors:
        values[f"factor{months}"] = factor
    sql = SQL.format(
        rates=", ".join(
            f"(%(currency{n})s::text, %(rate{n})s::numeric)" for n in range(len(rates))
        ),
        factors=", ".join(f"({months}, %(factor{months})s::numeric)" for months, _ in factors),
    )
    return sql, values


def changed_scores(lo, hi, *, params, as_of):
    """[(customer id, previous score id or None, formulas.Score, whether the customer's
    headline figures differ from the new ones)] for the customers with lo <= id <= hi whose
    score changed."""
    with connection.cursor() as cursor:
        cursor.execute(*statement(lo, hi, params=params, as_of=as_of))
        rows = cursor.fetchall()
    return [
        (
            customer_id,
            previous,
            formulas.Score(
                currency=params.base_currency,
                ltv=ltv,
                net_revenue_12m=net_12m,
                payment_reliability=reliability,
                avg_days_late=days_late,
                overdue_amount=overdue,
                days_since_last_contact=days_since,
                interactions_90d=interactions,
                open_tickets=tickets,
                grade=grade,
            ),
            headline_changed,
        )
        for (
            customer_id,
            previous,
            ltv,
            net_12m,
            reliability,
            days_late,
            overdue,
            days_since,
            interactions,
            tickets,
            grade,
            headline_changed,
        ) in rows
    ]
