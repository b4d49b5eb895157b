from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    # Public: a website's form posts here (no log-in; a token, an origin, limits).
    path("forms/<slug:slug>/", views.webform_post, name="webform_post"),
    path("integrations/webhooks/", views.subscription_list, name="subscription_list"),
    path("integrations/webhooks/new/", views.subscription_create, name="subscription_create"),
    path("integrations/webhooks/<int:pk>/", views.subscription_detail, name="subscription_detail"),
    path("integrations/webhooks/<int:pk>/edit/", views.subscription_edit, name="subscription_edit"),
    path(
        "integrations/webhooks/<int:pk>/activate/",
        views.subscription_activate,
        name="subscription_activate",
    ),
    path(
        "integrations/webhooks/<int:pk>/deactivate/",
        views.subscription_deactivate,
        name="subscription_deactivate",
    ),
    path(
        "integrations/webhooks/<int:pk>/rotate-secret/",
        views.subscription_rotate_secret,
        name="subscription_rotate_secret",
    ),
    path("integrations/deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path(
        "integrations/deliveries/<int:pk>/redeliver/",
        views.delivery_redeliver,
        name="delivery_redeliver",
    ),
    path("integrations/forms/", views.webform_list, name="webform_list"),
    path("integrations/forms/new/", views.webform_create, name="webform_create"),
    path("integrations/forms/<int:pk>/", views.webform_detail, name="webform_detail"),
    path("integrations/forms/<int:pk>/edit/", views.webform_edit, name="webform_edit"),
    path("integrations/forms/<int:pk>/activate/", views.webform_activate, name="webform_activate"),
    path(
        "integrations/forms/<int:pk>/deactivate/",
        views.webform_deactivate,
        name="webform_deactivate",
    ),
    path(
        "integrations/forms/<int:pk>/rotate-token/",
        views.webform_rotate_token,
        name="webform_rotate_token",
    ),
]
