from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core import views as core_views
from core.auth import LoginForm
from customers import views as customer_views

urlpatterns = [
    path("", customer_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("customers/", include("customers.urls")),
    path("", include("relationships.urls")),
    path("", include("processes.urls")),
    path("", include("analytics.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", core_views.audit_list, name="audit_list"),
    path("admin/bounds/", core_views.out_of_bounds, name="admin_out_of_bounds"),
    path("admin/", admin.site.urls),
]
