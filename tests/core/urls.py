"""A view whose database connection dies under it the first time it runs (PostgreSQL ends the
backend, as a restart would), for tests/core/test_dropped_connection.py."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path

from crm.urls import urlpatterns as crm_urlpatterns

runs = []


def drop_once(request):
    runs.append(request.method)
    with connection.cursor() as cursor:
        if len(runs) == 1:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        cursor.execute("SELECT 1")
    return HttpResponse("read")


urlpatterns = [path("drop-once/", drop_once), *crm_urlpatterns]  # the error page links home
