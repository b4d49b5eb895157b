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
]
