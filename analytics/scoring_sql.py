"""The scoring formulas of analytics.formulas, computed by PostgreSQL for a batch of customers.

One statement per batch reads, each as one range of an index on the customer id, the batch's
payments (joined to their invoices for the due date), invoices, paid payouts, active recurring
contracts, recent interactions and open tickets; converts every amount to the base currency,
applies the formulas and compares the result with each customer's current score. The same
statement either returns the ids of the customers whose score changed (the nightly run's first,
unlocked pass: in the steady state no row crosses to Python at all) or writes the changed scores
and value rows itself (under the value rows' locks), so a run in which every score changes ships
no score to Python either.

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
paid AS (
    SELECT i.customer_id,
           sum(p.amount * r.rate) AS paid,
           sum(p.amount * r.rate) FILTER (WHERE p.paid_on > %(year_ago)s) AS paid_12m,
           sum(p.amount * r.rate)
               FILTER (WHERE i.due_date < %(as_of)s AND p.paid_on <= i.due_date) AS on_time,
           sum(p.amount * r.rate)
               FILTER (WHERE i.due_date < %(as_of)s AND p.paid_on > i.due_date) AS late,
           sum(p.amount * r.rate * (p.paid_on - i.due_date))
               FILTER (WHERE i.due_date < %(as_of)s AND p.paid_on > i.due_date) AS late_days,
           sum(p.amount * r.rate * least(p.paid_on - i.due_date, %(tolerance)s))
               FILTER (WHERE i.due_date < %(as_of)s AND p.paid_on > i.due_date) AS late_capped
    FROM relationships_payment p
    JOIN relationships_invoice i ON i.id = p.invoice_id
    LEFT JOIN rates r ON r.currency = i.currency
    WHERE p.customer_id BETWEEN %(lo)s AND %(hi)s AND i.customer_id BETWEEN %(lo)s AND %(hi)s
      AND p.paid_on <= %(as_of)s
    GROUP BY i.customer_id
),
billed AS (
    SELECT i.customer_id,
           sum(i.amount * r.rate) FILTER (WHERE i.due_date < %(as_of)s) AS due,
           sum((i.amount - i.paid_amount) * r.rate) FILTER (WHERE i.due_date < %(as_of)s) AS unpaid,
           sum((i.amount - i.paid_amount) * r.rate)
               FILTER (WHERE i.due_date < %(as_of)s AND i.written_off_at IS NULL) AS overdue
    FROM relationships_invoice i
    LEFT JOIN rates r ON r.currency = i.currency
    WHERE i.customer_id BETWEEN %(lo)s AND %(hi)s
    GROUP BY i.customer_id
),
billing AS (
    SELECT d.customer_id,
           coalesce(p.paid, 0) AS paid, coalesce(p.paid_12m, 0) AS paid_12m,
           coalesce(d.due, 0) AS due, coalesce(p.on_time, 0) AS on_time,
           coalesce(p.late, 0) AS late, coalesce(p.late_days, 0) AS late_days,
           coalesce(p.late_capped, 0) AS late_capped, coalesce(d.unpaid, 0) AS unpaid,
           coalesce(d.overdue, 0) AS overdue
    FROM billed d LEFT JOIN paid p ON p.customer_id = d.customer_id
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
    -- The batch's open instances, each looked up in the tickets' primary key (LIMIT keeps
    -- the planner from hashing the whole ticket table once per batch instead).
    SELECT pi.customer_id, count(*) AS n
    FROM processes_processinstance pi
    CROSS JOIN LATERAL (
        SELECT 1 FROM processes_ticket t WHERE t.instance_id = pi.id LIMIT 1
    ) t
    WHERE pi.customer_id BETWEEN %(lo)s AND %(hi)s AND pi.closed_at IS NULL
    GROUP BY pi.customer_id
),
figures AS {figures_materialized} (
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
           v.scored_at, v.grade AS shown_grade, v.ltv AS shown_ltv,
           v.ltv_currency AS shown_currency, v.payment_reliability AS shown_reliability,
           v.avg_days_late AS shown_days_late
    FROM customers_customer c
    -- What the lists show now (every customer has its row: customers.value_rows).
    JOIN customers_customervalue v ON v.customer_id = c.id
        AND v.customer_id BETWEEN %(lo)s AND %(hi)s
    LEFT JOIN billing b ON b.customer_id = c.id
    LEFT JOIN payouts o ON o.customer_id = c.id
    LEFT JOIN contracts k ON k.customer_id = c.id
    LEFT JOIN contacts ct ON ct.customer_id = c.id
    LEFT JOIN tickets t ON t.customer_id = c.id
    -- A merged customer holds nothing any more: its survivor is scored instead.
    WHERE c.id BETWEEN %(lo)s AND %(hi)s AND c.status <> 'merged'
),
scores AS (
    SELECT f.*, CASE
        WHEN NOT f.has_billing THEN NULL
        WHEN f.ltv >= %(a_ltv)s AND coalesce(f.reliability >= %(a_rel)s, true) THEN 'A'
        WHEN f.ltv >= %(b_ltv)s AND coalesce(f.reliability >= %(b_rel)s, true) THEN 'B'
        WHEN f.ltv >= %(c_ltv)s AND coalesce(f.reliability >= %(c_rel)s, true) THEN 'C'
        ELSE 'D' END AS grade
    FROM figures f
),
-- The scores that changed, each with its customer's current score (if any) and whether what
-- the lists show of it changes too.
changed AS {materialized} (
    SELECT s.*, cs.id AS previous,
           s.scored_at IS NULL
           OR (s.shown_grade, s.shown_ltv, s.shown_currency, s.shown_reliability,
               s.shown_days_late)
              IS DISTINCT FROM (s.grade, s.ltv, %(base)s, s.reliability, s.days_late)
           AS headline_changed
    FROM scores s
    LEFT JOIN analytics_customerscore cs
        ON cs.customer_id = s.customer_id AND cs.is_current
       AND cs.customer_id BETWEEN %(lo)s AND %(hi)s
    WHERE (cs.id IS NULL OR cs.parameters_id <> %(parameters)s
       OR (cs.currency, cs.ltv, cs.net_revenue_12m, cs.payment_reliability, cs.avg_days_late,
           cs.overdue_amount, cs.interactions_90d, cs.open_tickets, cs.grade)
          IS DISTINCT FROM (%(base)s, s.ltv, s.net_12m, s.reliability, s.days_late, s.overdue,
                            s.interactions_90d, s.open_tickets, s.grade)) {only}
)
{query}
"""


# What changed_scores() reads of each changed score.
READ = """SELECT s.customer_id, s.previous, s.ltv, s.net_12m, s.reliability, s.days_late,
       s.overdue, s.days_since, s.interactions_90d, s.open_tickets, s.grade, s.headline_changed
FROM changed s
ORDER BY s.customer_id"""

READ_IDS = "SELECT s.customer_id FROM changed s ORDER BY s.customer_id"

# write_changed(): the changed scores written where they are computed, nothing shipped to
# Python. The previous current scores are retired before the new ones go in (the partial
# unique index one_current_score_per_customer allows one current score per customer, and it
# is checked row by row): the sub-statements of a WITH run in no set order, but `inserted`
# reads the count of `retired` in a one-time filter, which runs `retired` to its end before
# the first row is inserted. A score retired by this statement no longer counts for the
# index's check (it is deleted by this very transaction).
WRITE = """,
retired AS (
    UPDATE analytics_customerscore cs SET is_current = false
    FROM changed s
    WHERE cs.id = s.previous AND cs.customer_id BETWEEN %(lo)s AND %(hi)s
    RETURNING cs.id
),
inserted AS (
    INSERT INTO analytics_customerscore (customer_id, currency, ltv, net_revenue_12m,
        payment_reliability, avg_days_late, overdue_amount, days_since_last_contact,
        interactions_90d, open_tickets, grade, computed_at, as_of, parameters_id, is_current)
    SELECT s.customer_id, %(base)s, s.ltv, s.net_12m, s.reliability, s.days_late, s.overdue,
           s.days_since, s.interactions_90d, s.open_tickets, s.grade, %(now)s, %(as_of)s,
           %(parameters)s, true
    FROM changed s
    WHERE (SELECT count(*) FROM retired) >= 0
    ORDER BY s.customer_id
    RETURNING customer_id
),
-- The value row is rewritten only when what it shows changed.
shown AS (
    UPDATE customers_customervalue v
    SET grade = s.grade, ltv = s.ltv, ltv_currency = %(base)s, payment_reliability = s.reliability,
        avg_days_late = s.days_late, scored_at = %(now)s
    FROM changed s
    WHERE v.customer_id = s.customer_id AND s.headline_changed
      AND v.customer_id BETWEEN %(lo)s AND %(hi)s
)
SELECT count(*) FROM inserted"""


def statement(lo, hi, *, params, as_of, only=None, query=READ, now=None):
    """The SQL and its parameters for the batch lo <= id <= hi, or only the customers `only`
    (ids) within it (EXPLAIN it to see the plan); `query` is what is done with the changed
    scores: READ them, READ_IDS or WRITE them (scores computed at `now`).

    `only` is applied to the changed scores, after the whole batch's figures are computed, and
    those figures are MATERIALIZED so that the planner cannot push the filter back down to the
    customers read. Down there, PostgreSQL estimates `id BETWEEN lo AND hi AND id = ANY(ids)` as
    the product of the two selectivities (24 rows for 5,000 ids at 1M) and, for so few customers,
    joins each one to the batch's aggregated payments, invoices, payouts and contracts by a
    nested loop over all of them: a batch of 5,000 took 7.4 s at 1M (the full rescore 109x the
    aggregate), computed whole and filtered afterwards 0.2 s; for 5 to 100 ids, 74-118 ms
    against 86-214 ms (EXPLAIN ANALYZE, one batch of the 1M bench database)."""
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
        "only": list(only or ()),
        "now": now,
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
        figures_materialized="MATERIALIZED" if only is not None else "",
        only="AND s.customer_id = ANY(%(only)s::bigint[])" if only is not None else "",
        # Written, the changed scores are read three times: computed once.
        materialized="MATERIALIZED" if query is WRITE else "",
        query=query,
    )
    return sql, values


def changed_ids(lo, hi, *, params, as_of):
    """The ids of the customers with lo <= id <= hi whose score changed: what the first,
    unlocked pass needs (the locked pass reads the scores), without shipping every changed
    score to Python twice when all of them change."""
    with connection.cursor() as cursor:
        cursor.execute(*statement(lo, hi, params=params, as_of=as_of, query=READ_IDS))
        return [row[0] for row in cursor.fetchall()]


def write_changed(lo, hi, *, params, as_of, now, only) -> int:
    """Write the scores of the customers `only` (ids, with lo <= id <= hi) that changed, in
    one statement: the previous current scores retired, the new ones inserted as current, and
    the headline figures copied into the value rows where what they show changed. Returns the
    number of scores written. The caller holds the value rows' locks of `only`."""
    with connection.cursor() as cursor:
        cursor.execute(
            *statement(lo, hi, params=params, as_of=as_of, only=only, query=WRITE, now=now)
        )
        return cursor.fetchone()[0]


def changed_scores(lo, hi, *, params, as_of, only=None):
    """[(customer id, previous score id or None, formulas.Score, whether the customer's
    headline figures differ from the new ones)] for the customers with lo <= id <= hi (and
    among `only`, when given) whose score changed: what write_changed() writes, read (a test
    holds it to analytics.formulas; EXPLAIN it with statement())."""
    with connection.cursor() as cursor:
        cursor.execute(*statement(lo, hi, params=params, as_of=as_of, only=only))
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
