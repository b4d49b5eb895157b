from django.urls import path

from . import views
from .views import mailings, unsubscribe

app_name = "mail"

urlpatterns = [
    path("mail/mailings/", mailings.mailing_list, name="mailing_list"),
    path("mail/mailings/new/", mailings.mailing_create, name="mailing_create"),
    path("mail/mailings/<int:pk>/", mailings.mailing_detail, name="mailing_detail"),
    path("mail/mailings/<int:pk>/edit/", mailings.mailing_edit, name="mailing_edit"),
    path("mail/mailings/<int:pk>/send/", mailings.mailing_send, name="mailing_send"),
    path("mail/unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("customers/<int:pk>/email/", views.compose, name="compose"),
    path("email/<int:pk>/send-again/", views.message_resend, name="message_resend"),
    path("email/templates/", views.template_list, name="template_list"),
    path("email/templates/new/", views.template_create, name="template_create"),
    path("email/templates/<int:pk>/", views.template_edit, name="template_edit"),
]
