from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("value/", views.scoring_method, name="scoring_method"),
    path("value/parameters/", views.scoring_parameters_edit, name="scoring_parameters_edit"),
    path("reports/process-kpis/", views.process_kpi_dashboard, name="process_kpis"),
    path(
        "reports/process-kpis/instances/",
        views.process_kpi_instances,
        name="process_kpi_instances",
    ),
    path("reports/forecast/", views.forecast_report, name="forecast"),
]
