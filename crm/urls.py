from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from analytics import views as analytics_views
from core import views as core_views
from core.views import exports as export_views
from core.views import login as login_views
from core.views import mfa as mfa_views
from core.views import saved_views

urlpatterns = [
    path("", analytics_views.home, name="home"),
    path("login/", login_views.login, name="login"),
    path("login/code/", login_views.login_verify, name="login_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("account/two-factor/", mfa_views.mfa_overview, name="mfa_overview"),
    path("account/two-factor/enrol/", mfa_views.mfa_enrol, name="mfa_enrol"),
    path("account/two-factor/codes/", mfa_views.mfa_recovery_codes, name="mfa_recovery_codes"),
    path(
        "account/two-factor/codes/new/",
        mfa_views.mfa_recovery_codes_regenerate,
        name="mfa_recovery_codes_regenerate",
    ),
    path("account/two-factor/disable/", mfa_views.mfa_disable, name="mfa_disable"),
    path("customers/", include("customers.urls")),
    path("", include("relationships.urls")),
    path("", include("processes.urls")),
    path("", include("analytics.urls")),
    path("", include("integrations.urls")),
    path("imports/", include("imports.urls")),
    path("", include("api.urls")),
    path("privacy/", include("privacy.urls")),
    path("", include("mail.urls")),
    # Before logging in, the log-in page's choice: Django's set_language (the cookie).
    path("i18n/", include("django.conf.urls.i18n")),
    # Logged in, the user menu's: saved on the profile.
    path("language/", core_views.language_choose, name="language_choose"),
    path("account/alerts/", core_views.alerts_choose, name="alerts_choose"),
    path("audit/", core_views.audit_list, name="audit_list"),
    path("views/", saved_views.saved_view_list, name="saved_view_list"),
    path("views/new/", saved_views.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/edit/", saved_views.saved_view_update, name="saved_view_update"),
    path("views/<int:pk>/delete/", saved_views.saved_view_delete, name="saved_view_delete"),
    path("exports/", export_views.export_list, name="export_list"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("exports/<int:pk>/retry/", export_views.export_retry, name="export_retry"),
    path("admin/bounds/", core_views.out_of_bounds, name="admin_out_of_bounds"),
    # The admin logs in through the CRM's own pages, so its log-in has the second step and the
    # limits too (the query string, ?next=…, is kept).
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
]

# A refusal about whose record it is says so (core.views.errors).
handler403 = "core.views.errors.permission_denied"
# Under /api/ a missing address or a crash answers an RFC 9457 problem; elsewhere the pages.
handler404 = "api.views.errors.page_not_found"
handler500 = "api.views.errors.server_error"
