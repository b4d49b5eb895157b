from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("value/", views.scoring_method, name="scoring_method"),
    path("value/parameters/", views.scoring_parameters_edit, name="scoring_parameters_edit"),
    path("reports/usage/", views.usage_report, name="usage_report"),
    path("my-settings/", views.my_settings, name="my_settings"),
]
