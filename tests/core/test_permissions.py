"""Permissions: what each app declares, the one function that decides (`can`), and every way of
asking it (views, `user.has_perm`, templates' `perms`) giving the same answer."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import Permission as ModelPermission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from core import permissions
from core.permissions import (
    FINANCE,
    MANAGER,
    SALES,
    SERVICE,
    Permission,
    Registry,
    can,
    permission_required,
    registry,
    user_roles,
)
from customers.permissions import EDIT_CUSTOMERS, VIEW_CUSTOMERS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EVERYONE = {SALES, SERVICE, FINANCE, MANAGER}
# Every declared permission and the roles granted it, written out: the matrix of the screens.
DECLARED = {
    "customers.view_customers": EVERYONE,
    "customers.edit_customers": {SALES, MANAGER},
    "customers.edit_contacts": {SALES, SERVICE, MANAGER},
    "customers.merge_customers": {SALES, MANAGER},
    "relationships.log_interactions": EVERYONE,
    "relationships.start_relationship": {SALES, MANAGER},
    "relationships.end_relationship": {MANAGER},
    "relationships.create_contracts": {SALES, MANAGER},
    "relationships.terminate_contracts": {SALES, MANAGER},
    "relationships.view_finance": {FINANCE, MANAGER},
    "relationships.issue_invoices": {FINANCE, MANAGER},
    "relationships.register_payments": {FINANCE, MANAGER},
    "relationships.write_off": {FINANCE, MANAGER},
    "relationships.request_payouts": EVERYONE,
    "relationships.approve_payouts": {MANAGER},
    "relationships.pay_payouts": {FINANCE, MANAGER},
    "relationships.confirm_backbilling": {SALES, FINANCE, MANAGER},
    "relationships.manage_assets": {SERVICE, MANAGER},
    "relationships.upload_documents": EVERYONE,
    "processes.view_processes": EVERYONE,
    "processes.work_sales": {SALES, MANAGER},
    "processes.work_onboarding": {SALES, SERVICE, MANAGER},
    "processes.work_tickets": {SERVICE, MANAGER},
    "processes.work_collections": {FINANCE, MANAGER},
    "processes.work_retention": {SALES, MANAGER},
    "processes.work_custom_processes": EVERYONE,
    "processes.work_tasks": EVERYONE,
    "processes.approve": {MANAGER},
    "processes.manage_definitions": {MANAGER},
    "analytics.manage_scoring": {MANAGER},
    "analytics.view_reports": {MANAGER},
    "analytics.manage_data_quality": {MANAGER},
    "imports.import_customers": {SALES, MANAGER},
    "imports.import_finance": {FINANCE, MANAGER},
    "core.view_audit": {MANAGER},
    "integrations.manage_integrations": {MANAGER},
    "privacy.export_personal_data": {SALES, MANAGER},
    "privacy.erase_personal_data": {MANAGER},
    "mail.send_email": EVERYONE,
    "mail.manage_templates": {MANAGER},
    "mail.send_mailings": {SALES, MANAGER},
    "mail.manage_mailboxes": {MANAGER},
    "mail.connect_own_mailbox": EVERYONE,
    "mail.triage_shared_mail": {SALES, SERVICE, MANAGER},
}
ROLE_OF = {
    "sales_rep": SALES,
    "service_agent": SERVICE,
    "finance_clerk": FINANCE,
    "manager": MANAGER,
}
PERSONAS = ["sales_rep", "service_agent", "finance_clerk", "manager", "outsider", "admin_user"]


def _allowed(persona, codename):
    return persona == "admin_user" or ROLE_OF.get(persona) in DECLARED[codename]


# --- The registry ---------------------------------------------------------------------------


def test_every_app_declares_its_permissions_with_the_roles_of_the_matrix():
    assert {p.codename: set(p.roles) for p in registry} == DECLARED
    assert all(str(p.label) for p in registry)


def test_a_declared_permission_is_listed_and_found_by_its_codename():
    own = Registry()
    issue = own.declare("billing.issue", "Issue", roles=(FINANCE,))
    assert list(own) == [issue] and len(own) == 1
    assert own["billing.issue"] is issue and own.get("billing.issue") is issue
    assert issue in own and "billing.issue" in own
    assert (issue.app_label, str(issue), issue.roles) == ("billing", "billing.issue", {FINANCE})


def test_a_codename_cannot_be_declared_twice():
    own = Registry()
    own.declare("billing.issue", "Issue", roles=(FINANCE,))
    with pytest.raises(ImproperlyConfigured, match="declared twice"):
        own.declare("billing.issue", "Issue again", roles=(MANAGER,))
    assert [p.roles for p in own] == [{FINANCE}]


@pytest.mark.parametrize(
    ("codename", "roles"),
    [
        ("issue", (FINANCE,)),
        ("Billing.Issue", (FINANCE,)),
        ("billing.issue.now", (FINANCE,)),
        ("billing.issue", ()),
        ("billing.issue", ("accountant",)),
    ],
)
def test_a_malformed_declaration_is_refused(codename, roles):
    with pytest.raises(ImproperlyConfigured):
        Registry().declare(codename, "Issue", roles=roles)


def test_asking_for_an_undeclared_permission_is_an_error_not_a_no(manager):
    with pytest.raises(LookupError):
        can(manager, "relationships.issue_invoice")


def test_no_declared_permission_shadows_a_model_permission(monkeypatch):
    assert permissions.check_declared_permissions_are_not_model_permissions() == []
    clashing = Registry()
    clashing.declare("customers.view_customer", "See one customer", roles=(SALES,))
    monkeypatch.setattr(permissions, "registry", clashing)
    errors = permissions.check_declared_permissions_are_not_model_permissions()
    assert [error.id for error in errors] == ["core.E001"]


# --- can() ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_role_may_do_what_the_matrix_grants_it_and_nothing_else(request, persona):
    user = request.getfixturevalue(persona)
    for codename in DECLARED:
        expected = _allowed(persona, codename)
        assert can(user, codename) is expected, codename
        assert can(user, registry[codename]) is expected, codename


def test_a_user_holding_two_roles_may_do_what_either_may(db):
    user = UserFactory(roles=[SERVICE, FINANCE])
    assert user_roles(user) == {SERVICE, FINANCE}
    for codename, roles in DECLARED.items():
        assert can(user, codename) is bool(roles & {SERVICE, FINANCE}), codename


def test_a_superuser_holds_every_role_and_may_do_everything(admin_user):
    assert user_roles(admin_user) == EVERYONE
    assert all(can(admin_user, p) for p in registry)


def test_an_anonymous_user_may_do_nothing():
    anonymous = AnonymousUser()
    assert user_roles(anonymous) == frozenset()
    assert not any(can(anonymous, p) for p in registry)
    assert not any(anonymous.has_perm(p.codename) for p in registry)


@pytest.mark.parametrize("superuser", [False, True])
def test_an_inactive_user_may_do_nothing_whatever_their_roles(db, superuser):
    user = UserFactory(roles=sorted(EVERYONE), is_active=False, is_superuser=superuser)
    assert not any(can(user, p) for p in registry)
    assert not any(user.has_perm(p.codename) for p in registry)


def test_the_roles_are_read_once_per_user_object(sales_rep, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert can(sales_rep, EDIT_CUSTOMERS) and can(sales_rep, VIEW_CUSTOMERS)
        assert not can(sales_rep, "analytics.view_reports")
    assert getattr(sales_rep, permissions.ROLES_CACHE_ATTRIBUTE) == {SALES}


# --- Django's has_perm and the templates' perms answer through can() ------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_has_perm_and_the_templates_perms_answer_as_can_does(request, rf, persona):
    user = request.getfixturevalue(persona)
    http_request = rf.get("/")
    http_request.user = user
    codenames = sorted(DECLARED)
    template = Template(
        "".join(f"{{% if perms.{codename} %}}1{{% else %}}0{{% endif %}}" for codename in codenames)
    )
    rendered = template.render(RequestContext(http_request))
    assert rendered == "".join("1" if can(user, codename) else "0" for codename in codenames)
    assert [user.has_perm(c) for c in codenames] == [can(user, c) for c in codenames]
    declared_held = user.get_all_permissions() & set(DECLARED)
    assert declared_held == {c for c in codenames if _allowed(persona, c)}


def test_model_permissions_are_still_answered_by_the_admins_rows(db):
    clerk = UserFactory(roles=[MANAGER], is_staff=True)
    assert not clerk.has_perm("processes.change_processdefinition")
    clerk.user_permissions.add(ModelPermission.objects.get(codename="change_processdefinition"))
    clerk = type(clerk).objects.get(pk=clerk.pk)  # a fresh object: ModelBackend caches too
    assert clerk.has_perm("processes.change_processdefinition")
    assert clerk.has_perm("processes.manage_definitions")


def test_a_permission_row_cannot_grant_a_declared_permission_can_refuses(sales_rep):
    invoice_type = ContentType.objects.get(app_label="relationships", model="invoice")
    sales_rep.user_permissions.add(
        ModelPermission.objects.create(
            codename="issue_invoices", name="Issue invoices", content_type=invoice_type
        )
    )
    sales_rep = type(sales_rep).objects.get(pk=sales_rep.pk)
    assert not can(sales_rep, "relationships.issue_invoices")
    assert not sales_rep.has_perm("relationships.issue_invoices")


def test_templates_only_ask_for_declared_permissions():
    asked = set()
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        asked |= set(re.findall(r"\bperms\.(\w+\.\w+)", template.read_text()))
    assert asked, "the templates ask perms.<app>.<name>"
    assert asked - set(DECLARED) == set()


# --- permission_required --------------------------------------------------------------------


@permission_required(EDIT_CUSTOMERS)
def _edit_view(request):
    return HttpResponse("edited")


def test_the_decorator_sends_an_anonymous_user_to_log_in(rf):
    request = rf.get("/somewhere/")
    request.user = AnonymousUser()
    response = _edit_view(request)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/somewhere/"


def test_the_decorator_refuses_a_user_without_the_permission(rf, service_agent, outsider):
    for user in (service_agent, outsider):
        request = rf.get("/")
        request.user = user
        with pytest.raises(PermissionDenied):
            _edit_view(request)


def test_the_decorator_lets_a_user_with_the_permission_through(rf, sales_rep, admin_user):
    for user in (sales_rep, admin_user):
        request = rf.get("/")
        request.user = user
        assert _edit_view(request).content == b"edited"
    assert _edit_view.permission is EDIT_CUSTOMERS


def test_the_decorator_takes_only_a_declared_permission():
    with pytest.raises(TypeError):
        permission_required("customers.edit_customers")
    assert isinstance(VIEW_CUSTOMERS, Permission)


# --- Every view in the URLconf is guarded ---------------------------------------------------

# Views open to every logged-in user, roles or not.
# The two-factor pages act on the user's own devices only.
LOGIN_ONLY = {
    "home",
    # One's own saved views of the lists (core.lists): each list's page asks its permission.
    "saved_view_list",
    "saved_view_create",
    "saved_view_update",
    "saved_view_delete",
    # One's own background exports (core.export_jobs): the owner's alone (404 for anyone
    # else), the list's permission asked again when the file is written;
    # tests/core/test_export_jobs.py checks the refusals.
    "export_list",
    "export_download",
    "export_retry",
    "language_choose",
    "alerts_choose",
    "analytics:my_settings",
    "mfa_overview",
    "mfa_enrol",
    "mfa_recovery_codes",
    "mfa_recovery_codes_regenerate",
    "mfa_disable",
    # The import pages ask the permission of the batch's kind (customers or finance), not one
    # fixed permission: imports.access and imports.views; tests/imports/test_import_pages.py
    # checks their refusals.
    "imports:list",
    "imports:create",
    "imports:detail",
    "imports:layout",
    "imports:template",
    "imports:map",
    "imports:choose",
    "imports:start",
    "imports:progress",
    "imports:rejected",
    "imports:undo",
    # Mailboxes and their triage: a shared mailbox asks mail.manage_mailboxes or
    # mail.triage_shared_mail, a personal one is its owner's alone (mail.mailbox_access);
    # tests/mail/test_triage.py checks their refusals.
    "mail:mailbox_list",
    "mail:mailbox_detail",
    "mail:mailbox_edit",
    "mail:mailbox_test",
    "mail:message_make_private",
    "mail:triage_list",
    "mail:triage_detail",
    "mail:triage_create_customer",
    "mail:triage_attach",
    "mail:triage_dismiss",
    # A user's own API tokens, and the API's documentation page.
    "api:token_list",
    "api:token_revoke",
    "api:docs",
}
# Django's own views, guarded by Django: the login itself (and its code step, which sends anyone
# who has not passed the password step back to it), the language switch (public by design),
# the password pages (login required), the admin and its staff page (staff login).
NOT_OURS = {
    "login",
    "login_verify",
    "logout",
    "password_change",
    "password_change_done",
    "set_language",
    "admin_out_of_bounds",
}
# Public by design, guarded otherwise: a website's form posts here without logging in, with the
# form's secret token (tests/integrations/test_webforms.py); a mailing's recipient unsubscribes
# with the signed link from the e-mail (tests/mail/test_unsubscribe.py).
PUBLIC = {"integrations:webform_post", "mail:unsubscribe"}


def _views(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from _views(pattern.url_patterns, inner)
        elif pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, pattern


def _is_api_endpoint(name):
    """The REST API's endpoints (and its schema) answer an anonymous client 401 and a user
    without the role 403 as problems, not with the log-in page: tests/api/test_guard.py."""
    return name.startswith("api:") and name not in LOGIN_ONLY


def _our_views():
    views = {}
    for name, pattern in _views(get_resolver().url_patterns):
        if (
            name in NOT_OURS
            or name in PUBLIC
            or name.startswith("admin:")
            or _is_api_endpoint(name)
        ):
            continue
        kwargs = dict.fromkeys(pattern.pattern.converters, 1)
        views[name] = (pattern.callback, reverse(name, kwargs=kwargs))
    return views


def _ask(client, url):
    """GET, or POST where the view takes only POST."""
    response = client.get(url)
    return client.post(url) if response.status_code == 405 else response


def test_every_view_declares_a_permission_or_is_open_to_any_logged_in_user():
    views = _our_views()
    assert {name.partition(":")[0] for name in views} >= {
        "customers",
        "relationships",
        "processes",
        "analytics",
    }
    unguarded = {name for name, (view, _url) in views.items() if not hasattr(view, "permission")}
    assert unguarded == LOGIN_ONLY
    for name, (view, _url) in views.items():
        assert name in LOGIN_ONLY or view.permission in registry, name


def test_every_view_sends_an_anonymous_user_to_log_in(client):
    login = reverse("login")
    for name, (_view, url) in _our_views().items():
        response = _ask(client, url)
        assert response.status_code == 302, name
        assert response.url.startswith(login), name


def test_every_guarded_view_refuses_a_user_without_a_role(outsider):
    client = Client()
    client.force_login(outsider)
    for name, (_view, url) in _our_views().items():
        if name in LOGIN_ONLY:
            continue
        assert _ask(client, url).status_code == 403, name
