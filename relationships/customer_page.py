"""What relationships add to the customer page: status header, contact log, relationship history,
and the customer file: contracts, invoices, payments, payouts, assets and documents."""

from datetime import date, datetime, time
from functools import lru_cache

from django.db.models import F
from django.template.defaultfilters import linebreaksbr
from django.utils import dateformat, formats, timezone
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _

from core import visibility
from core.memo import per_object
from core.pages import TimelineEntry
from core.permissions import can
from customers.customer_page import (
    register_history_source,
    register_section,
    register_timeline_source,
)
from customers.selectors import CustomerCounts, CustomerRows, customer_contacts

from .forms import InteractionForm, RelationshipStartForm
from .models import (
    Asset,
    Contract,
    Document,
    Interaction,
    Invoice,
    Payment,
    Payout,
    Relationship,
    currency_totals,
)
from .permissions import LOG_INTERACTIONS

_fetch_relationships = CustomerRows(
    lambda customer: Relationship.objects.filter(customer=customer).select_related(
        "ended_by", "started_by"
    )
)


@per_object
def _relationships(customer):
    # Header, side panel and timeline share one query.
    return _fetch_relationships(customer)


def _newest_interactions(customer):
    return (
        Interaction.objects.filter(customer=customer)
        .select_related("created_by", "contact_person")
        .order_by("-occurred_at", "-id")
    )


_fetch_interactions = CustomerRows(lambda customer: _newest_interactions(customer)[:FETCH_ROWS])


@per_object
def _interactions(customer):
    # The header shows the newest, the timeline the newest FETCH_ROWS, from one query.
    return _fetch_interactions(customer)


def header_context(request, customer):
    relationships = _relationships(customer)
    # The open one when there is one: a merge can leave an ended relationship started later.
    current = next((r for r in relationships if r.is_open), None) or (
        relationships[0] if relationships else None
    )
    interactions = _interactions(customer)
    return {
        "relationship": current,
        "last_contact": interactions[0] if interactions else None,
        "start_form": RelationshipStartForm(),
        "returning": len(relationships) > 1,
    }


def log_context(request, customer):
    if not can(request.user, LOG_INTERACTIONS) or not visibility.can_edit_owner(
        request.user, customer.owner_id
    ):
        return {"form": None}
    return {"form": InteractionForm(customer=customer, contacts=customer_contacts(customer))}


def history_context(request, customer):
    return {"relationships": _relationships(customer)}


@lru_cache
def _entry_format(contact, outcome, notes):
    """The format string of an interaction's timeline entry with (True) or without (False) each
    optional part: one format_html() call then builds the whole entry."""
    return "".join(
        [
            '\n<li class="tl-interaction">\n  <div class="small text-muted">{} · {} · {} · {}',
            " · {} {}" if contact else "",
            "</div>\n  <div><strong>{}</strong>",
            " — {}" if outcome else "",
            "</div>\n  ",
            '<div class="small">{}</div>' if notes else "",
            "\n</li>\n",
        ]
    )


def _interaction_renderer():
    """A function rendering an interaction's timeline entry with format_html, with what every
    entry of the page shares (translated words, the date format) worked out once.

    Interactions fill most customers' timelines, 50 entries on a long history: as an included
    template they took about half of the customer page's rendering time. 50 entries, timed by
    bench/render.py (best of 15 x 50, the 2-core development machine, others' jobs running):
    this function 2.1-2.3 ms; the same markup from one template with the loop inside (cheaper
    than the include per entry the page would need), compiled once, 8.6-11 ms. The
    hand-escaped f-strings with mark_safe this replaced took 1.7 ms.
    """
    date_format = formats.get_format("SHORT_DATETIME_FORMAT")
    # get_channel_display() would translate every channel's label on each call. Escaped once
    # here, format_html() passes them through as they are.
    channels = {value: escape(str(label)) for value, label in Interaction.Channel.choices}
    inbound, outbound = escape(_("inbound")), escape(_("outbound"))
    unknown, with_ = escape(_("unknown")), escape(_("with"))

    def render(entry):
        interaction = entry.obj
        author = interaction.created_by.get_username() if interaction.created_by else ""
        contact, outcome, notes = (
            interaction.contact_person,
            interaction.outcome,
            interaction.notes,
        )
        args = [
            dateformat.format(timezone.localtime(interaction.occurred_at), date_format),
            channels.get(interaction.channel) or interaction.channel,
            inbound if interaction.direction == "inbound" else outbound,
            author or unknown,
        ]
        if contact:
            args += [with_, contact.full_name]
        args.append(interaction.subject)
        if outcome:
            args.append(outcome)
        if notes:
            args.append(linebreaksbr(notes, autoescape=True))
        return format_html(_entry_format(bool(contact), bool(outcome), bool(notes)), *args)

    return render


def interaction_entries(customer, *, limit):
    if limit <= FETCH_ROWS:
        interactions = _interactions(customer)[:limit]
    else:
        interactions = _newest_interactions(customer)[:limit]
    render = _interaction_renderer()
    for interaction in interactions:
        yield TimelineEntry(
            interaction.occurred_at, "interaction", None, interaction, render=render
        )


def relationship_entries(customer, *, limit):
    events = []
    for relationship in _relationships(customer):
        if relationship.ended_at:
            events.append(
                TimelineEntry(
                    relationship.ended_at,
                    "relationship_ended",
                    "relationships/_timeline_relationship.html",
                    relationship,
                )
            )
        started = timezone.make_aware(datetime.combine(relationship.started_on, time.min))
        events.append(
            TimelineEntry(
                started,
                "relationship_started",
                "relationships/_timeline_relationship.html",
                relationship,
                rank=-1,
            )
        )
    events.sort(reverse=True)
    return events[:limit]


register_section(
    slot="header", order=10, template="relationships/_header.html", context=header_context
)
register_section(
    slot="main", order=10, template="relationships/_log_interaction.html", context=log_context
)
register_section(
    slot="side",
    order=20,
    template="relationships/_relationships_panel.html",
    context=history_context,
)
register_timeline_source(interaction_entries)
register_timeline_source(relationship_entries)
register_history_source(lambda customer: Relationship.objects.filter(customer_id=customer.pk))


# --- Contracts, billing, payouts, assets, documents -----------------------------------------
# Each kind costs one query, shared by its panel and its timeline entries, and none at all when
# the customer has no records of that kind (one query counts them all first). The page's query
# count therefore does not grow with the number of records.

PANEL_ROWS = 10
FETCH_ROWS = 50  # The timeline's default length: panels show the first PANEL_ROWS of these.


# Each kind of the customer file: its model, the related objects its panel and timeline show,
# and its newest-first order.
_FILE_KINDS = {
    "contracts": (Contract, ["terminated_by"], ["-start_date", "-id"]),
    "invoices": (Invoice, ["contract"], ["-issue_date", "-id"]),
    "payments": (Payment, ["invoice", "recorded_by"], ["-paid_on", "-id"]),
    "payouts": (Payout, ["requested_by", "approved_by", "paid_by"], ["-requested_at", "-id"]),
    "assets": (Asset, ["contract"], [F("installed_on").desc(nulls_last=True), "-id"]),
    "documents": (Document, ["uploaded_by"], ["-uploaded_at", "-id"]),
}

_count_file = CustomerCounts(
    lambda customer: {
        kind: model.objects.filter(customer=customer)
        for kind, (model, _related, _order) in _FILE_KINDS.items()
    }
)


def _newest_of(model, related, order):
    return CustomerRows(
        lambda customer: (
            model.objects.filter(customer=customer)
            .select_related(*related)
            .order_by(*order)[:FETCH_ROWS]
        )
    )


_fetch_file = {kind: _newest_of(*spec) for kind, spec in _FILE_KINDS.items()}


@per_object
def _file_counts(customer):
    return _count_file(customer)


@per_object
def _rows(customer, kind):
    """The newest FETCH_ROWS records of a kind, fetched once per page (or none, if none exist)."""
    return _fetch_file[kind](customer) if _file_counts(customer)[kind] else []


def _panel(rows, total):
    return {"rows": rows[:PANEL_ROWS], "total": total, "more": total > PANEL_ROWS}


_sum_invoices = CustomerRows(
    lambda customer, today: Invoice.objects.filter(customer=customer).currency_sums(today=today),
    today=date,
)


def money_context(request, customer):
    counts = _file_counts(customer)
    totals = []
    if counts["invoices"]:
        totals = currency_totals(_sum_invoices(customer, today=timezone.localdate()))
    return {"totals": totals}


def _panel_context(kind):
    def context(request, customer):
        return _panel(_rows(customer, kind), _file_counts(customer)[kind])

    return context


def payouts_context(request, customer):
    return {**_panel_context("payouts")(request, customer), "next": request.get_full_path()}


def _at_start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _newest(entries, limit):
    entries.sort(reverse=True)
    return entries[:limit]


def contract_entries(customer, *, limit):
    template = "relationships/_timeline_contract.html"
    entries = []
    for contract in _rows(customer, "contracts"):
        if contract.signed_on:
            entries.append(
                TimelineEntry(
                    _at_start_of(contract.signed_on), "contract_signed", template, contract
                )
            )
        if contract.terminated_at:
            entries.append(
                TimelineEntry(contract.terminated_at, "contract_terminated", template, contract)
            )
    return _newest(entries, limit)


def invoice_entries(customer, *, limit):
    return _newest(
        [
            TimelineEntry(
                _at_start_of(invoice.issue_date),
                "invoice_issued",
                "relationships/_timeline_invoice.html",
                invoice,
            )
            for invoice in _rows(customer, "invoices")
        ],
        limit,
    )


def payment_entries(customer, *, limit):
    return _newest(
        [
            TimelineEntry(
                _at_start_of(payment.paid_on),
                "payment_received",
                "relationships/_timeline_payment.html",
                payment,
            )
            for payment in _rows(customer, "payments")
        ],
        limit,
    )


def payout_entries(customer, *, limit):
    template = "relationships/_timeline_payout.html"
    entries = []
    for payout in _rows(customer, "payouts"):
        entries.append(TimelineEntry(payout.requested_at, "payout_requested", template, payout))
        if payout.paid_at:
            entries.append(TimelineEntry(payout.paid_at, "payout_paid", template, payout))
    return _newest(entries, limit)


def asset_entries(customer, *, limit):
    return _newest(
        [
            TimelineEntry(
                _at_start_of(asset.installed_on),
                "asset_installed",
                "relationships/_timeline_asset.html",
                asset,
            )
            for asset in _rows(customer, "assets")
            if asset.installed_on
        ],
        limit,
    )


def document_entries(customer, *, limit):
    return _newest(
        [
            TimelineEntry(
                document.uploaded_at,
                "document_added",
                "relationships/_timeline_document.html",
                document,
            )
            for document in _rows(customer, "documents")
        ],
        limit,
    )


register_section(
    slot="header", order=20, template="relationships/_money_summary.html", context=money_context
)
register_section(
    slot="main",
    order=20,
    template="relationships/_contracts_panel.html",
    context=_panel_context("contracts"),
)
register_section(
    slot="main",
    order=30,
    template="relationships/_invoices_panel.html",
    context=_panel_context("invoices"),
)
register_section(
    slot="main",
    order=40,
    template="relationships/_payments_panel.html",
    context=_panel_context("payments"),
)
register_section(
    slot="main", order=50, template="relationships/_payouts_panel.html", context=payouts_context
)
register_section(
    slot="side",
    order=30,
    template="relationships/_assets_panel.html",
    context=_panel_context("assets"),
)
register_section(
    slot="side",
    order=40,
    template="relationships/_documents_panel.html",
    context=_panel_context("documents"),
)
for _source in (
    contract_entries,
    invoice_entries,
    payment_entries,
    payout_entries,
    asset_entries,
    document_entries,
):
    register_timeline_source(_source)
register_history_source(lambda customer: Contract.objects.filter(customer_id=customer.pk))
register_history_source(lambda customer: Invoice.objects.filter(customer_id=customer.pk))
register_history_source(lambda customer: Payment.objects.filter(customer_id=customer.pk))
register_history_source(lambda customer: Payout.objects.filter(customer_id=customer.pk))
