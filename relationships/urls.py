from django.urls import path

from . import views

app_name = "relationships"

urlpatterns = [
    path("customers/new/", views.customer_create, name="customer_create"),
    path(
        "customers/<int:pk>/interactions/new/", views.interaction_create, name="interaction_create"
    ),
    path("customers/<int:pk>/relationships/start/", views.relationship_start, name="start"),
    path("relationships/<int:pk>/end/", views.relationship_end, name="end"),
    path("relationships/<int:pk>/activate/", views.relationship_activate, name="activate"),
    # Contracts
    path("contracts/", views.contract_list, name="contract_list"),
    path("customers/<int:pk>/contracts/new/", views.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/sign/", views.contract_sign, name="contract_sign"),
    path(
        "contracts/<int:pk>/confirm-backbilling/",
        views.contract_confirm_backbilling,
        name="contract_confirm_backbilling",
    ),
    path("contracts/<int:pk>/terminate/", views.contract_terminate, name="contract_terminate"),
    # Invoices and payments
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("customers/<int:pk>/invoices/new/", views.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/edit/", views.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/payments/new/", views.payment_create, name="payment_create"),
    path("invoices/<int:pk>/write-off/", views.invoice_write_off, name="invoice_write_off"),
    # Payouts
    path("payouts/", views.payout_list, name="payout_list"),
    path("customers/<int:pk>/payouts/new/", views.payout_create, name="payout_create"),
    path("payouts/<int:pk>/edit/", views.payout_edit, name="payout_edit"),
    path("payouts/<int:pk>/approve/", views.payout_approve, name="payout_approve"),
    path("payouts/<int:pk>/reject/", views.payout_reject, name="payout_reject"),
    path("payouts/<int:pk>/paid/", views.payout_mark_paid, name="payout_mark_paid"),
    # Assets and documents
    path("customers/<int:pk>/assets/new/", views.asset_create, name="asset_create"),
    path("assets/<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    path("customers/<int:pk>/documents/new/", views.document_create, name="document_create"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
]
