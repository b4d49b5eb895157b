from django.urls import path

from . import merge_views, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("search/", views.search, name="search"),
    path("bulk/", views.customer_bulk, name="bulk"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/history/", views.customer_history, name="history"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/consents/", views.contact_consents, name="contact_consents"),
    path("duplicates/", merge_views.duplicate_list, name="duplicates"),
    path("duplicates/<int:pk>/dismiss/", merge_views.duplicate_dismiss, name="duplicate_dismiss"),
    path("<int:pk>/duplicates/find/", merge_views.duplicate_find, name="duplicate_find"),
    path("<int:pk>/merge/", merge_views.customer_merge_screen, name="merge"),
    path("<int:pk>/contacts/merge/", merge_views.contact_merge_screen, name="contact_merge"),
]
