#!/usr/bin/env python
"""Time the hot HTML renderers against the template language doing the same.

    .venv/bin/python bench/render.py [--rows 50] [--repeat 7] [--number 100]

Two things render dozens of times on the most requested pages: the customer list's rows
(`customer_rows`, one per customer shown) and the interaction entries of the customer page's
timeline (most of a long history's 50 entries). Both are Python functions built with
format_html. This script renders `--rows` of each from unsaved objects (no database) with
production's template settings (DEBUG off, so templates are compiled once and cached) and
prints the best of `--repeat` runs of `--number` renders, per render, for:

- the function the pages use;
- the same markup from one template with the loop inside it, compiled once. The pages would
  include a template per timeline entry, which costs more: this is the template language at
  its cheapest. The script first checks that both give the same HTML.
"""

import argparse
import os
import re
import sys
import timeit
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    DJANGO_SETTINGS_MODULE="crm.settings.base",
    DEBUG="false",
    SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-render-only-never-serves-requests",
    ALLOWED_HOSTS=os.environ.get("ALLOWED_HOSTS") or "localhost",
)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.template import engines  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from core.pages import TimelineEntry  # noqa: E402
from customers.models import ContactPerson, Customer, CustomerValue, Segment  # noqa: E402
from customers.templatetags.customer_tags import customer_rows  # noqa: E402
from relationships.customer_page import _interaction_renderer  # noqa: E402
from relationships.models import Interaction  # noqa: E402

ROWS_TEMPLATE = """{% load i18n humanize customer_tags %}\
{% for customer in page.object_list %}\
{% with days=customer.avg_days_late last=customer.last_contact_at %}\
<tr><td><a href="{% url 'customers:detail' customer.pk %}">{{ customer.display_name }}</a>\
{% if customer.kind == "person" %}<i aria-hidden="true" class="bi bi-person text-muted" \
title="{% translate 'Person' %}"></i>{% endif %}{% if customer.tax_id %}\
<div class="small text-muted">{{ customer.tax_id }}</div>{% endif %}</td>\
<td>{% grade_badge customer %}</td><td class="text-end text-nowrap">\
{% if customer.ltv_currency %}{{ customer.ltv|floatformat:"0g" }} {{ customer.ltv_currency }}\
{% else %}—{% endif %}</td><td class="text-end">\
{% if customer.payment_reliability is None %}<span class="text-muted">—</span>{% else %}\
<span class="{% reliability_class customer.payment_reliability %}" title="{% if days %}\
{% blocktranslate with days=days|floatformat:1 %}{{ days }} days late on average\
{% endblocktranslate %}{% else %}{% translate "pays on time" %}{% endif %}">\
{{ customer.payment_reliability|floatformat:0 }}</span>{% endif %}</td>\
<td>{% status_badge customer %}</td>\
<td>{% for segment in customer.list_segments %}<span class="badge text-bg-light border">\
{{ segment.name }}</span>{% if not forloop.last %} {% endif %}{% endfor %}</td>\
<td>{{ customer.owner.get_username|default:"—" }}</td><td>{{ customer.city|default:"—" }}</td>\
<td>{% if last %}<span title="{{ last|date:"DATETIME_FORMAT" }}">{{ last|naturaltime }}</span>\
{% else %}—{% endif %}</td><td>{{ customer.first_contact_on|date:"SHORT_DATE_FORMAT" }}</td>\
</tr>{% endwith %}{% endfor %}"""

TIMELINE_TEMPLATE = """{% load i18n %}{% for entry in entries %}{% with obj=entry.obj %}
<li class="tl-interaction">
  <div class="small text-muted">{{ obj.occurred_at|date:"SHORT_DATETIME_FORMAT" }} · \
{{ obj.get_channel_display }} · {% if obj.direction == "inbound" %}{% translate "inbound" %}\
{% else %}{% translate "outbound" %}{% endif %} · \
{{ obj.created_by.get_username|default:_("unknown") }}{% if obj.contact_person %} · \
{% translate "with" %} {{ obj.contact_person.full_name }}{% endif %}</div>
  <div><strong>{{ obj.subject }}</strong>{% if obj.outcome %} — {{ obj.outcome }}{% endif %}</div>
  {% if obj.notes %}<div class="small">{{ obj.notes|linebreaksbr }}</div>{% endif %}
</li>
{% endwith %}{% endfor %}"""


def customers(n):
    """Customers as Customer.objects.for_list() gives them, every column's variants present."""
    now = timezone.now()
    owner = get_user_model()(username="sally_sales")
    segments = [Segment(name="VIP"), Segment(name="Wholesale <B2B>")]
    rows = []
    for i in range(n):
        customer = Customer(
            pk=1000 + i,
            kind="person" if i % 3 == 0 else "organisation",
            display_name=f"Acme & Sons {i}",
            tax_id=f"PL{5_000_000_000 + i}" if i % 2 else "",
            city=["Kraków", "Brno", ""][i % 3],
            status=["active", "prospect", "former"][i % 3],
            relationship_kind="casual" if i % 5 == 0 else "lasting",
            first_contact_on=date(2024, 1, 1) + timedelta(days=i),
            last_contact_at=now - timedelta(hours=7 * i) if i % 4 else None,
            owner=owner if i % 4 else None,
        )
        customer.value = CustomerValue(
            grade="ABCD"[i % 4] if i % 6 else "",
            scored_at=now if i % 7 else None,
            ltv=Decimal(12_345 + 1_000 * i) if i % 5 else None,
            ltv_currency="PLN" if i % 5 else "",
            # Whole numbers and one decimal: the template's floatformat rounds where the row
            # function cuts, so only such values give the same text both ways.
            payment_reliability=Decimal(60 + i % 40) if i % 3 else None,
            avg_days_late=Decimal(i % 9) / 2 if i % 3 else None,
        )
        customer.list_segments = segments[: i % 3]
        rows.append(customer)
    return SimpleNamespace(object_list=rows)


def interactions(n):
    """Timeline entries of interactions, with and without author, contact, outcome and notes."""
    now = timezone.now()
    author = get_user_model()(username="sally_sales")
    contact = ContactPerson(first_name="Jan", last_name="Kowalski <CEO>")
    entries = []
    for i in range(n):
        interaction = Interaction(
            pk=i + 1,
            channel=["call", "email", "meeting", "visit"][i % 4],
            direction="inbound" if i % 2 else "outbound",
            subject=f"Offer & terms {i}",
            outcome="Agreed" if i % 3 else "",
            notes="First line\n<b>second</b>" if i % 2 else "",
            occurred_at=now - timedelta(hours=5 * i),
            created_by=author if i % 5 else None,
            contact_person=contact if i % 2 else None,
        )
        entries.append(TimelineEntry(interaction.occurred_at, "interaction", None, interaction))
    return entries


def _same(a, b):
    squeeze = re.compile(r">\s+<")
    return squeeze.sub("><", str(a)).strip() == squeeze.sub("><", str(b)).strip()


def best_ms(function, repeat, number):
    return min(timeit.repeat(function, repeat=repeat, number=number)) / number * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=100)
    args = parser.parse_args()
    translation.activate("en")
    engine = engines["django"]

    page = customers(args.rows)
    rows_template = engine.from_string(ROWS_TEMPLATE)
    entries = interactions(args.rows)
    timeline_template = engine.from_string(TIMELINE_TEMPLATE)

    def rows_function():
        return customer_rows(page)

    def rows_by_template():
        return rows_template.render({"page": page})

    def timeline_function():
        render = _interaction_renderer()
        return "".join(render(entry) for entry in entries)

    def timeline_by_template():
        return timeline_template.render({"entries": entries})

    cases = [
        ("customer list rows", rows_function, rows_by_template),
        ("timeline interactions", timeline_function, timeline_by_template),
    ]
    print(f"{args.rows} rows or entries, best of {args.repeat} x {args.number}, ms per render")
    print(f"{'':24}{'function':>10}{'template':>10}")
    for name, function, by_template in cases:
        if not _same(function(), by_template()):
            sys.exit(f"{name}: the template does not give the function's HTML; fix the script")
        print(
            f"{name:24}{best_ms(function, args.repeat, args.number):>10.2f}"
            f"{best_ms(by_template, args.repeat, args.number):>10.2f}"
        )


if __name__ == "__main__":
    main()
