"""The app's URLs plus the benchmark's ceiling view; routed only by crm.settings.bench.

The ceiling is the cheapest request the stack can serve: every middleware, one indexed query,
a tiny response. bench/run.py reports each page's throughput as a share of it.
"""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.urls import path

from crm.urls import urlpatterns as app_urlpatterns


def ceiling(request):
    found = get_user_model().objects.filter(pk=1).exists()
    return HttpResponse(f"ok {found:d}\n", content_type="text/plain")


urlpatterns = [
    path("_bench/ceiling/", ceiling, name="bench_ceiling"),
    *app_urlpatterns,
]
