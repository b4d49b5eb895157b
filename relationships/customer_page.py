"""What relationships add to the customer page: status header, contact log, relationship history,
and the customer file: contracts, invoices, payments, payouts, assets and documents."""

from datetime import date, datetime, time
from html import escape

from django.db.models import F
from django.template.defaultfilters import linebreaksbr
from django.utils import dateformat, formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from customers import roles
from customers.customer_page import (
    TimelineEntry,
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

_fetch_relationships = CustomerRows(
    lambda customer: Relationship.objects.filter(customer=customer).select_related(
        "ended_by", "started_by"
    )
)


def _relationships(customer):
    # Cached per customer object: header, side panel and timeline share one query.
    if not hasattr(customer, "_relationships_cache"):
        customer._relationships_cache = _fetch_relationships(customer)
    return customer._relationships_cache


def _newest_interactions(customer):
    return (
        Interaction.objects.filter(customer=customer)
        .select_related("created_by", "contact_person")
        .order_by("-occurred_at", "-id")
    )


_fetch_interactions = CustomerRows(lambda customer: _newest_interactions(customer)[:FETCH_ROWS])


def _interactions(customer):
    # Cached per customer object: the header shows the newest, the timeline the newest
    # FETCH_ROWS, from one query.
    if not hasattr(customer, "_interactions_cache"):
        customer._interactions_cache = _fetch_interactions(customer)
    return customer._interactions_cache


def header_context(request, customer):
    relationships = _relationships(customer)
    current = relationships[0] if relationships else None
    interactions = _interactions(customer)
    return {
        "relationship": current,
        "last_contact": interactions[0] if interactions else None,
        "start_form": RelationshipStartForm(),
        "returning": len(relationships) > 1,
    }


def log_context(request, customer):
    if not roles.has_role(request.user, roles.LOG_INTERACTIONS):
        return {"form": None}
    return {"form": InteractionForm(customer=customer, contacts=customer_contacts(customer))}


def history_context(request, customer):
    return {"relationships": _relationships(customer)}


def _interaction_renderer():
    """A function rendering an interaction's timeline entry, with what every entry of the page
    shares (translated words, the date format) worked out once.

    Interactions fill most customers' timelines, 50 entries on a long history: as an included
    template they took about half of the customer page's rendering time.
    """
    date_format = formats.get_format("SHORT_DATETIME_FORMAT")
    # get_channel_display() would translate every channel's label on each call.
    channels = {value: escape(str(label)) for value, label in Interaction.Channel.choices}
    inbound, outbound = escape(_("inbound")), escape(_("outbound"))
    unknown, with_ = escape(_("unknown")), escape(_("with"))

    def render(entry):
        interaction = entry.obj
        author = interaction.created_by.get_username() if interaction.created_by else ""
        about = [
            escape(dateformat.format(timezone.localtime(interaction.occurred_at), date_format)),
            channels.get(interaction.channel) or escape(interaction.channel),
            inbound if interaction.direction == "inbound" else outbound,
            escape(author) if author else unknown,
        ]
        if interaction.contact_person:
            about.append(f"{with_} {escape(interaction.contact_person.full_name)}")
        outcome = f" — {escape(interaction.outcome)}" if interaction.outcome else ""
        notes = ""
        if interaction.notes:
            notes = f'<div class="small">{linebreaksbr(interaction.notes, autoescape=True)}</div>'
        return mark_safe(
            f'\n<li class="tl-interaction">\n  <div class="small text-muted">{" · ".join(about)}'
            f"</div>\n  <div><strong>{escape(interaction.subject)}</strong>{outcome}</div>\n"
            f"  {notes}\n</li>\n"
        )

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
register_history_source(lambda customer: Relationship.history.filter(customer_id=customer.pk))


# --- Contracts, billing, payouts, assets, documents -----------------------------------------
# Each kind costs one query, shared by its panel and its timeline entries, and none at all when
# the customer has no records of that kind (one query counts them all first). The page's query
# count therefore does not grow with the number of records.

PANEL_ROWS = 10
FETCH_ROWS = 50  # The timeline's default length: panels show the first PANEL_ROWS of these.


_count_file = CustomerCounts(
    lambda customer: {
        "contracts": Contract.objects.filter(customer=customer),
        "invoices": Invoice.objects.filter(customer=customer),
        "payments": Payment.objects.filter(customer=customer),
        "payouts": Payout.objects.filter(customer=customer),
        "assets": Asset.objects.filter(customer=customer),
        "documents": Document.objects.filter(customer=customer),
    }
)


def _file_counts(customer):
    if not hasattr(customer, "_file_counts_cache"):
        customer._file_counts_cache = _count_file(customer)
    return customer._file_counts_cache


def _rows(customer, kind, fetch):
    """The newest FETCH_ROWS records of a kind, fetched once per page (or none, if none exist)."""
    cache = customer.__dict__.setdefault("_file_rows_cache", {})
    if kind not in cache:
        cache[kind] = fetch(customer) if _file_counts(customer)[kind] else []
    return cache[kind]


_fetch_contracts = CustomerRows(
    lambda customer: (
        Contract.objects.filter(customer=customer)
        .select_related("terminated_by")
        .order_by("-start_date", "-id")[:FETCH_ROWS]
    )
)


def _contracts(customer):
    return _rows(customer, "contracts", _fetch_contracts)


_fetch_invoices = CustomerRows(
    lambda customer: (
        Invoice.objects.filter(customer=customer)
        .select_related("contract")
        .order_by("-issue_date", "-id")[:FETCH_ROWS]
    )
)


def _invoices(customer):
    return _rows(customer, "invoices", _fetch_invoices)


_fetch_payments = CustomerRows(
    lambda customer: (
        Payment.objects.filter(customer=customer)
        .select_related("invoice", "recorded_by")
        .order_by("-paid_on", "-id")[:FETCH_ROWS]
    )
)


def _payments(customer):
    return _rows(customer, "payments", _fetch_payments)


_fetch_payouts = CustomerRows(
    lambda customer: (
        Payout.objects.filter(customer=customer)
        .select_related("requested_by", "approved_by", "paid_by")
        .order_by("-requested_at", "-id")[:FETCH_ROWS]
    )
)


def _payouts(customer):
    return _rows(customer, "payouts", _fetch_payouts)


_fetch_assets = CustomerRows(
    lambda customer: (
        Asset.objects.filter(customer=customer)
        .select_related("contract")
        .order_by(F("installed_on").desc(nulls_last=True), "-id")[:FETCH_ROWS]
    )
)


def _assets(customer):
    return _rows(customer, "assets", _fetch_assets)


_fetch_documents = CustomerRows(
    lambda customer: (
        Document.objects.filter(customer=customer)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")[:FETCH_ROWS]
    )
)


def _documents(customer):
    return _rows(customer, "documents", _fetch_documents)


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


def contracts_context(request, customer):
    return _panel(_contracts(customer), _file_counts(customer)["contracts"])


def invoices_context(request, customer):
    return _panel(_invoices(customer), _file_counts(customer)["invoices"])


def payments_context(request, customer):
    return _panel(_payments(customer), _file_counts(customer)["payments"])


def payouts_context(request, customer):
    return {
        **_panel(_payouts(customer), _file_counts(customer)["payouts"]),
        "next": request.get_full_path(),
    }


def assets_context(request, customer):
    return _panel(_assets(customer), _file_counts(customer)["assets"])


def documents_context(request, customer):
    return _panel(_documents(customer), _file_counts(customer)["documents"])


def _at_start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _newest(entries, limit):
    entries.sort(reverse=True)
    return entries[:limit]


def contract_entries(customer, *, limit):
    template = "relationships/_timeline_contract.html"
    entries = []
    for contract in _contracts(customer):
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
            for invoice in _invoices(customer)
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
            for payment in _payments(customer)
        ],
        limit,
    )


def payout_entries(customer, *, limit):
    template = "relationships/_timeline_payout.html"
    entries = []
    for payout in _payouts(customer):
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
            for asset in _assets(customer)
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
            for document in _documents(customer)
        ],
        limit,
    )


register_section(
    slot="header", order=20, template="relationships/_money_summary.html", context=money_context
)
register_section(
    slot="main", order=20, template="relationships/_contracts_panel.html", context=contracts_context
)
register_section(
    slot="main", order=30, template="relationships/_invoices_panel.html", context=invoices_context
)
register_section(
    slot="main", order=40, template="relationships/_payments_panel.html", context=payments_context
)
register_section(
    slot="main", order=50, template="relationships/_payouts_panel.html", context=payouts_context
)
register_section(
    slot="side", order=30, template="relationships/_assets_panel.html", context=assets_context
)
register_section(
    slot="side",
    order=40,
    template="relationships/_documents_panel.html",
    context=documents_context,
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
register_history_source(lambda customer: Contract.history.filter(customer_id=customer.pk))
