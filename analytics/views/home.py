"""The home page: what waits for the user, one section per role (analytics.home)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ..home import home_sections


@login_required
def home(request):
    return render(request, "analytics/home.html", {"sections": home_sections(request.user)})
