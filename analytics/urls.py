from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("value/", views.scoring_method, name="scoring_method"),
    path("value/parameters/", views.scoring_parameters_edit, name="scoring_parameters_edit"),
    path("reports/usage/", views.usage_report, name="usage_report"),
    path("my-settings/", views.my_settings, name="my_settings"),
    path("reports/customer-value/", views.value_report, name="value_report"),
    path("reports/segments/", views.segment_report, name="segment_report"),
    path("reports/data-quality/", views.data_quality, name="data_quality"),
    path(
        "reports/data-quality/template/",
        views.data_quality_template_edit,
        name="data_quality_template_edit",
    ),
    path("reports/process-kpis/", views.process_kpi_dashboard, name="process_kpis"),
    path(
        "reports/process-kpis/instances/",
        views.process_kpi_instances,
        name="process_kpi_instances",
    ),
    path("reports/forecast/", views.forecast_report, name="forecast"),
]
