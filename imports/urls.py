from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_create, name="create"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/layout/", views.import_layout, name="layout"),
    path("<int:pk>/template/", views.import_template, name="template"),
    path("<int:pk>/mapping/", views.import_map, name="map"),
    path("<int:pk>/choices/", views.import_choose, name="choose"),
    path("<int:pk>/run/", views.import_start, name="start"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/rejected.csv", views.import_rejected, name="rejected"),
    path("<int:pk>/undo/", views.import_undo, name="undo"),
]
