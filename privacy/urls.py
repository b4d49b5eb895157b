from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("customers/<int:pk>/export/", views.customer_export, name="customer_export"),
    path("customers/<int:pk>/erase/", views.customer_erase, name="customer_erase"),
    path("contacts/<int:pk>/export/", views.contact_export, name="contact_export"),
    path("contacts/<int:pk>/erase/", views.contact_erase, name="contact_erase"),
]
