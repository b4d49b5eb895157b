"""What analytics adds to the customer page: the value header (grade, LTV, reliability, trend)."""

from customers.customer_page import register_section

from .selectors import explain, score_trend


def value_header(request, customer):
    # The job writes scored_at with every snapshot: never scored means no history to read.
    trend = score_trend(customer) if customer.scored_at else []
    grade_path = []
    for score in trend:
        if not grade_path or grade_path[-1].grade != score.grade:
            grade_path.append(score)
    return {
        "customer": customer,
        "trend": trend,
        "current": trend[-1] if trend else None,
        "trend_ltv": [score.ltv for score in trend],
        "grade_path": grade_path,
        "explanation": explain(
            reliability=customer.payment_reliability,
            days_late=customer.avg_days_late,
            overdue=trend[-1].overdue_amount if trend else None,
            currency=customer.ltv_currency,
        ),
    }


register_section(
    slot="header", order=5, template="analytics/_value_header.html", context=value_header
)
