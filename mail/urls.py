from django.urls import path

from . import views

app_name = "mail"

urlpatterns = [
    path("customers/<int:pk>/email/", views.compose, name="compose"),
    path("email/<int:pk>/send-again/", views.message_resend, name="message_resend"),
    path("email/templates/", views.template_list, name="template_list"),
    path("email/templates/new/", views.template_create, name="template_create"),
    path("email/templates/<int:pk>/", views.template_edit, name="template_edit"),
]
