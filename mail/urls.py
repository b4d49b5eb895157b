from django.urls import path

from .views import mailings, unsubscribe

app_name = "mail"

urlpatterns = [
    path("mailings/", mailings.mailing_list, name="mailing_list"),
    path("mailings/new/", mailings.mailing_create, name="mailing_create"),
    path("mailings/<int:pk>/", mailings.mailing_detail, name="mailing_detail"),
    path("mailings/<int:pk>/edit/", mailings.mailing_edit, name="mailing_edit"),
    path("mailings/<int:pk>/send/", mailings.mailing_send, name="mailing_send"),
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]
