"""Every URL of the project's apps: how to fill its path, who uses it, and the forms on its pages.

`URLS` is the one hand-written part: for each URL name, the world object whose primary key fills
`<int:pk>`, the personas who may use it, and the page that shows the record afterwards. Which
URLs take a POST, which fields each form has, and which values a select offers are discovered:
`project_url_names()` walks the URL resolver, and `discover_forms()` opens every page and parses
its forms' HTML. tests/hostile/test_coverage.py fails when a URL appears that this table lacks.
"""

from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from mail.services.mailing_batches import unsubscribe_token

from .world_apps import import_file

# The apps whose URLs are probed (and the project's own, under no namespace). The api app is
# JSON, probed by tests/api; only its HTML screens (the user's API tokens) are probed here.
APP_NAMESPACES = (
    "customers",
    "relationships",
    "processes",
    "analytics",
    "mail",
    "imports",
    "integrations",
    "privacy",
)
HTML_SCREENS_ELSEWHERE = ("set_language", "api:token_list", "api:token_revoke")
SKIPPED_PREFIXES = ("admin/", "static/", "media/")


@dataclass(frozen=True)
class Url:
    obj: str | None = None  # the world object whose pk fills <int:pk>
    personas: tuple = ("manager",)
    view: str | None = None  # "url_name:object" of the record's own page, checked after a post
    anonymous: bool = False  # used before logging in (the log-in form)
    # A form that no page renders (Django's set_language view): its fields, {name: (kind, options)}
    fields: tuple = ()
    # The path's arguments when they are not one object's pk: world -> [arg, ...]
    args: Callable | None = None
    # A query string the URL is always used with (a web form's token): world -> {name: value}
    query: Callable | None = None
    # A public page that answers a save with a page of its own (200), not with a redirect.
    saves_with_200: bool = False
    # What the button that saves posts, when the page's first button only previews:
    # ((field, value), ...), put in every post before the hostile values.
    submit: tuple = ()
    # payload -> True for a post that only shows a preview (200, no error, nothing written).
    previews: Callable | None = None
    # The record is its owner's alone (a personal mailbox): after a save its pages are opened
    # as the persona who saved it, not as a manager.
    owners_only: bool = False


M = ("manager",)


def _board_targets(world):
    """The stages the world's opportunity may be dropped on, as the board offers them."""
    opportunity = world["opportunity"]
    return tuple(
        str(pk)
        for pk in opportunity.definition.stages.exclude(pk=opportunity.stage_id)
        .filter(outcome="")
        .values_list("pk", flat=True)
    )


URLS = {
    # crm
    "home": Url(),
    "login": Url(anonymous=True, personas=("anonymous",)),
    # Without a password step first it sends the visitor back to log in.
    "login_verify": Url(anonymous=True, personas=("anonymous",)),
    "mfa_overview": Url(),
    "mfa_enrol": Url(),
    "mfa_recovery_codes": Url(),
    "mfa_recovery_codes_regenerate": Url(),
    "mfa_disable": Url(),
    "logout": Url(),
    "password_change": Url(personas=("sales",)),
    "password_change_done": Url(),
    "audit_list": Url(),
    "saved_view_list": Url(),
    "saved_view_create": Url(personas=("manager", "sales")),
    "saved_view_update": Url("saved_view"),
    "saved_view_delete": Url("saved_view"),
    "export_list": Url(),
    "export_download": Url("export_job"),
    "export_retry": Url("failed_export"),
    "set_language": Url(
        personas=("sales",),
        fields=(("language", "select", ("en", "pl", "cs", "ru")), ("next", "hidden", ("/",))),
    ),
    "language_choose": Url(personas=("sales", "manager")),
    "alerts_choose": Url(personas=("sales", "manager")),
    # customers
    "customers:list": Url(personas=("manager", "sales")),
    "customers:bulk": Url(personas=("manager", "sales")),
    "customers:search": Url(),
    "customers:detail": Url("customer"),
    "customers:edit": Url("customer", ("manager", "sales")),
    "customers:history": Url("customer"),
    "customers:contact_create": Url("customer", ("manager", "service")),
    "customers:contact_edit": Url("contact", ("manager", "sales")),
    "customers:contact_consents": Url("contact", ("manager", "sales")),
    "customers:duplicates": Url(personas=("manager", "sales")),
    "customers:duplicate_dismiss": Url("suggestion", ("manager", "sales")),
    "customers:duplicate_find": Url("customer", ("manager", "sales")),
    "customers:merge": Url("customer", ("manager", "sales")),
    "customers:contact_merge": Url("customer", ("manager", "sales")),
    # relationships
    "relationships:customer_create": Url(None, ("manager", "sales")),
    "relationships:interaction_create": Url("customer", ("manager", "service")),
    "relationships:start": Url("ended_customer", ("manager", "sales")),
    "relationships:end": Url("relationship", M),
    "relationships:activate": Url("relationship", ("manager", "sales")),
    "relationships:contract_list": Url(),
    "relationships:contract_create": Url("customer", ("manager", "sales")),
    "relationships:contract_detail": Url("contract"),
    "relationships:contract_edit": Url(
        "contract", ("manager", "sales"), view="relationships:contract_detail:contract"
    ),
    "relationships:contract_sign": Url(
        "draft_contract", ("manager", "sales"), view="relationships:contract_detail:draft_contract"
    ),
    "relationships:contract_confirm_backbilling": Url(
        "backbilling_contract",
        ("manager", "sales", "finance"),
        view="relationships:contract_detail:backbilling_contract",
    ),
    "relationships:contract_terminate": Url(
        "contract", M, view="relationships:contract_detail:contract"
    ),
    "relationships:invoice_list": Url(personas=("manager", "finance")),
    "relationships:invoice_create": Url("customer", ("manager", "finance")),
    "relationships:invoice_detail": Url("invoice"),
    "relationships:invoice_edit": Url(
        "invoice", ("manager", "finance"), view="relationships:invoice_detail:invoice"
    ),
    "relationships:payment_create": Url(
        "invoice", ("manager", "finance"), view="relationships:invoice_detail:invoice"
    ),
    "relationships:invoice_write_off": Url(
        "invoice", ("finance",), view="relationships:invoice_detail:invoice"
    ),
    "relationships:payout_list": Url(),
    "relationships:payout_create": Url("customer", ("manager", "service")),
    # Only its requester (sales, in the world) edits a payout request.
    "relationships:payout_edit": Url("payout", ("sales",)),
    "relationships:payout_approve": Url("payout", M),
    "relationships:payout_reject": Url("payout", M),
    "relationships:payout_mark_paid": Url("approved_payout", ("finance",)),
    "relationships:asset_create": Url("customer", ("manager", "service")),
    "relationships:asset_edit": Url("asset", ("manager", "service")),
    "relationships:document_create": Url("customer", ("manager", "sales")),
    "relationships:document_download": Url("document"),
    # processes
    "processes:overview": Url(),
    "processes:board": Url("sales_process"),
    "processes:instance_list": Url(),
    "processes:instance_bulk": Url(personas=("manager", "sales")),
    "processes:instance_detail": Url("opportunity"),
    "processes:instance_edit": Url(
        "opportunity", ("manager", "sales"), view="processes:instance_detail:opportunity"
    ),
    "processes:instance_move": Url(
        "opportunity", ("manager", "sales"), view="processes:instance_detail:opportunity"
    ),
    # The board's drag and drop posts it from static/js/board.js: no page renders its form.
    # (`from_stage`, which board.js adds for the race check, has its bad values in
    # tests/processes/test_board.py; without it the move goes from where the card is.)
    "processes:board_move": Url(
        "opportunity",
        ("manager", "sales"),
        view="processes:instance_detail:opportunity",
        fields=(
            ("stage", "select", _board_targets),
            ("reason", "textarea", ("",)),
        ),
    ),
    "processes:instance_log_work": Url(
        "opportunity", ("sales",), view="processes:instance_detail:opportunity"
    ),
    "processes:opportunity_discount": Url(
        "opportunity", ("manager", "sales"), view="processes:instance_detail:opportunity"
    ),
    "processes:instance_task_create": Url(
        "opportunity", ("service",), view="processes:instance_detail:opportunity"
    ),
    "processes:instance_create": Url("customer", ("manager", "sales")),
    "processes:ticket_list": Url(),
    "processes:ticket_create": Url("customer", ("manager", "service")),
    "processes:ticket_respond": Url(
        "ticket", ("service",), view="processes:instance_detail:ticket"
    ),
    "processes:task_list": Url(),
    "processes:task_create": Url("customer", ("manager", "finance")),
    "processes:task_done": Url("task", M),
    "processes:notification_list": Url(),
    "processes:notification_read": Url("notification", M),
    "processes:notification_read_all": Url(),
    "processes:approval_list": Url(),
    "processes:approval_approve": Url("approval", M, view="processes:instance_detail:opportunity"),
    "processes:approval_reject": Url("approval", M, view="processes:instance_detail:opportunity"),
    "processes:approval_payout_approve": Url("payout", M),
    "processes:approval_payout_reject": Url("payout", M),
    "processes:collection_list": Url(personas=("manager", "finance")),
    "processes:collection_case_open": Url("overdue_invoice", ("finance",)),
    "processes:collection_write_off_request": Url(
        "collection", ("manager", "finance"), view="processes:instance_detail:collection"
    ),
    "processes:decision_rule_list": Url(),
    "processes:decision_rule_create": Url("sales_process"),
    "processes:decision_rule_edit": Url("rule"),
    "processes:decision_rule_activate": Url("inactive_rule"),
    "processes:decision_rule_deactivate": Url("rule"),
    "processes:kpi_target_list": Url(),
    "processes:kpi_target_create": Url("sales_process"),
    "processes:kpi_target_edit": Url("kpi_target"),
    "processes:kpi_target_delete": Url("kpi_target"),
    "processes:definition_list": Url(),
    "processes:definition_create": Url(),
    "processes:definition_edit": Url("sales_process"),
    "processes:definition_copy": Url("sales_process"),
    "processes:definition_history": Url("sales_process"),
    "processes:definition_revision": Url("definition_revision"),
    "processes:campaign_list": Url(),
    "processes:campaign_create": Url(None, ("manager", "sales")),
    # analytics
    "analytics:scoring_method": Url(),
    "analytics:scoring_parameters_edit": Url(),
    "analytics:usage_report": Url(),
    "analytics:my_settings": Url(personas=("manager", "service")),
    "analytics:value_report": Url(),
    "analytics:segment_report": Url(),
    "analytics:data_quality": Url(),
    "analytics:data_quality_template_edit": Url(),
    "analytics:process_kpis": Url(),
    "analytics:process_kpi_instances": Url(),
    "analytics:forecast": Url(),
    # mail
    "mail:mailing_list": Url(personas=("manager", "sales")),
    "mail:mailing_create": Url(None, ("manager", "sales"), submit=(("campaign", ""),)),
    "mail:mailing_detail": Url("mailing", ("manager", "sales")),
    "mail:mailing_edit": Url(
        "mailing",
        ("manager", "sales"),
        view="mail:mailing_detail:mailing",
        submit=(("campaign", ""),),
    ),
    "mail:mailing_send": Url("mailing", ("manager", "sales"), view="mail:mailing_detail:mailing"),
    # Public: the signed link in a mailing (no log-in; the page's one button posts it).
    "mail:unsubscribe": Url(
        args=lambda world: [unsubscribe_token(world["mailing_recipient"])],
        anonymous=True,
        personas=("anonymous",),
        saves_with_200=True,
    ),
    # Written about the world's ticket (the form's hidden `process`); without it, about the
    # customer alone.
    # "Send" shows only after a preview; any other action previews (or fills from a template).
    "mail:compose": Url(
        "customer",
        ("manager", "service"),
        query=lambda world: {"process": world.pk("ticket")},
        submit=(("action", "send"),),
        previews=lambda payload: payload.get("action", "preview") != "send",
    ),
    "mail:message_resend": Url("failed_message", ("manager", "sales")),
    "mail:template_list": Url(),
    "mail:template_create": Url(
        submit=(("action", "save"),), previews=lambda payload: payload.get("action") == "preview"
    ),
    "mail:template_edit": Url(
        "mail_template",
        submit=(("action", "save"),),
        previews=lambda payload: payload.get("action") == "preview",
    ),
    "mail:mailbox_list": Url(personas=("manager", "sales")),
    "mail:mailbox_create_shared": Url(),
    "mail:mailbox_create_own": Url(personas=("sales", "manager"), owners_only=True),
    "mail:mailbox_detail": Url("mailbox"),
    "mail:mailbox_edit": Url("mailbox", view="mail:mailbox_detail:mailbox"),
    # Tries the world's mailbox: 127.0.0.1 on a closed port, refused at once.
    "mail:mailbox_test": Url("mailbox", view="mail:mailbox_detail:mailbox"),
    "mail:private_address_add": Url(),
    "mail:private_address_remove": Url("private_address"),
    "mail:triage_list": Url(personas=("manager", "sales", "service")),
    "mail:triage_detail": Url("triage_message", ("manager", "sales", "service")),
    "mail:triage_create_customer": Url("triage_message", ("manager", "sales")),
    "mail:triage_attach": Url(
        args=lambda world: [world.pk("triage_message"), world.pk("customer")],
        personas=("manager", "sales"),
    ),
    "mail:triage_dismiss": Url("triage_message", ("manager", "sales", "service")),
    "mail:message_make_private": Url("filed_message", ("manager", "sales")),
    # imports: one waiting for its mapping, one for review, one done
    "imports:list": Url(personas=("manager", "sales", "finance")),
    "imports:create": Url(None, ("manager", "sales", "finance"), submit=(("file", import_file),)),
    "imports:detail": Url("import_batch"),
    "imports:layout": Url("import_batch", view="imports:detail:import_batch"),
    "imports:template": Url("import_batch", view="imports:detail:import_batch"),
    "imports:map": Url("import_batch", view="imports:detail:import_batch"),
    "imports:choose": Url("import_preview", view="imports:detail:import_preview"),
    "imports:start": Url("import_preview", view="imports:detail:import_preview"),
    "imports:progress": Url("import_preview"),
    "imports:rejected": Url("import_done"),
    "imports:undo": Url("import_done", view="imports:detail:import_done"),
    # integrations
    # Public: a website's form posts here with the form's token; no page renders it.
    "integrations:webform_post": Url(
        args=lambda world: [world["webform"].slug],
        query=lambda world: {"token": world["webform"].token},
        anonymous=True,
        personas=("anonymous",),
        saves_with_200=True,
        fields=(
            ("first_name", "text", ("Jan",)),
            ("last_name", "text", ("Kowalski",)),
            ("company", "text", ("Hostile Web Lead",)),
            ("email", "email", ("jan@lead.example",)),
            ("phone", "text", ("+48 601 000 000",)),
            ("tax_id", "text", ("",)),
            ("message", "textarea", ("Please call me.",)),
        ),
    ),
    "integrations:subscription_list": Url(),
    "integrations:subscription_create": Url(submit=(("events", ["customer.created"]),)),
    "integrations:subscription_detail": Url("subscription"),
    "integrations:subscription_edit": Url(
        "subscription", view="integrations:subscription_detail:subscription"
    ),
    "integrations:subscription_activate": Url(
        "inactive_subscription", view="integrations:subscription_detail:inactive_subscription"
    ),
    "integrations:subscription_deactivate": Url(
        "subscription", view="integrations:subscription_detail:subscription"
    ),
    "integrations:subscription_rotate_secret": Url(
        "subscription", view="integrations:subscription_detail:subscription"
    ),
    "integrations:delivery_detail": Url("delivery"),
    "integrations:delivery_redeliver": Url(
        "delivery", view="integrations:subscription_detail:subscription"
    ),
    "integrations:webform_list": Url(),
    "integrations:webform_create": Url(),
    "integrations:webform_detail": Url("webform"),
    "integrations:webform_edit": Url("webform", view="integrations:webform_detail:webform"),
    "integrations:webform_activate": Url(
        "inactive_webform", view="integrations:webform_detail:inactive_webform"
    ),
    "integrations:webform_deactivate": Url("webform", view="integrations:webform_detail:webform"),
    "integrations:webform_rotate_token": Url("webform", view="integrations:webform_detail:webform"),
    # privacy: an individual customer's file and a company's contact person
    "privacy:customer_export": Url("person_customer", ("manager", "sales")),
    "privacy:customer_erase": Url("person_customer", M),
    "privacy:contact_export": Url("contact", ("manager", "sales")),
    "privacy:contact_erase": Url("contact", M),
    # api: the user's API tokens (HTML screens; the JSON API is probed by tests/api)
    "api:token_list": Url(personas=("manager", "sales")),
    "api:token_revoke": Url("api_token"),
}

# Lists that show the record's data: after a post one of them is opened too (drawn per example).
LIST_PAGES = (
    "customers:list",
    "relationships:contract_list",
    "relationships:invoice_list",
    "relationships:payout_list",
    "processes:instance_list",
    "processes:ticket_list",
    "processes:task_list",
    "processes:approval_list",
    "processes:collection_list",
    "processes:campaign_list",
    "processes:decision_rule_list",
    "processes:kpi_target_list",
    "processes:definition_list",
    "processes:notification_list",
    "processes:board",
)


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith(SKIPPED_PREFIXES):
                continue
            yield from _walk(pattern.url_patterns, route, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            if route.startswith(SKIPPED_PREFIXES):
                continue
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def project_url_names():
    """The names of every URL of the project's apps and of crm/urls.py (not admin or static)."""
    names = set(_walk(get_resolver().url_patterns))
    return {
        name
        for name in names
        if ":" not in name
        or name.split(":", 1)[0] in APP_NAMESPACES
        or name in HTML_SCREENS_ELSEWHERE
    }


def url_for(name, world):
    entry = URLS[name]
    if entry.args is not None:
        args = entry.args(world)
    else:
        args = [world.pk(entry.obj)] if entry.obj else []
    path = reverse(name, args=args)
    if entry.query is not None:
        path += "?" + urlencode(entry.query(world))
    return path


# --- Forms, read from the pages' HTML -------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, email, password, number, date, datetime-local, checkbox,
    # radio, hidden, file, select, select-multiple
    initial: list
    options: list
    maxlength: int | None = None
    required: bool = False

    @property
    def multiple(self):
        return self.kind in ("select-multiple", "checkbox-multiple")


@dataclass
class HtmlForm:
    method: str
    action: str  # the path posted to (the page's own when the form names none)
    fields: dict
    page: str  # the page it is on, as all_pages() names it


class _FormParser(HTMLParser):
    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.page = path
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None
        self._actions = []

    def _field(self, name, kind):
        fields = self._form["fields"]
        if name not in fields:
            fields[name] = Field(name, kind, [], [])
        elif kind == "checkbox":
            fields[name].kind = "checkbox-multiple"
        return fields[name]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (a.get("method") or "get").lower(),
                "action": a.get("action") or self.page,
                "fields": {},
            }
            self._actions = []
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind == "text" and a.get("inputmode") == "decimal":
                kind = "number"  # an amount (core.forms.AmountInput): swept with huge amounts
            if kind in ("submit", "button", "reset", "image"):
                return
            if name == "csrfmiddlewaretoken":
                return
            field = self._field(name, kind)
            field.required = field.required or "required" in a
            if a.get("maxlength", "").isdigit():
                field.maxlength = int(a["maxlength"])
            value = a.get("value")
            if kind in ("checkbox", "radio"):
                field.options.append(value if value is not None else "on")
                if "checked" in a:
                    field.initial.append(value if value is not None else "on")
            elif value is not None:
                field.initial.append(value)
        elif tag == "select" and name:
            self._select = self._field(name, "select-multiple" if "multiple" in a else "select")
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a:
                self._select.initial.append(value)
        elif tag == "textarea" and name:
            self._textarea = self._field(name, "textarea")
            self._textarea.initial.append("")
        elif tag == "button" and a.get("formaction"):
            self._actions.append(a["formaction"])
        elif tag == "button" and name and a.get("value") is not None:
            # One submit button per choice (the language menus): a select, as the server sees it.
            self._field(name, "select").options.append(a["value"])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.initial[-1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea.initial[-1].startswith("\n"):
                # The HTML parser keeps the newline that browsers drop after <textarea>.
                self._textarea.initial[-1] = self._textarea.initial[-1][1:]
            self._textarea = None
        elif tag == "form" and self._form is not None:
            for action in self._actions or [self._form["action"]]:
                self.forms.append(
                    HtmlForm(
                        method=self._form["method"],
                        action=action,
                        fields=dict(self._form["fields"]),
                        page=self.page,
                    )
                )
            self._form = None


def parse_forms(html, page):
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms


def url_name_of(path):
    """The URL name a form posts to, or None for a URL outside the project."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


# Pages that show a form only in a state the table's object is not in: a customer whose
# relationship ended (start a new one), a ticket (first response), a collection case (write
# off), a draft contract (sign); and every record page the table names.
# A page may carry a query: the triage page's customer search shows the "file here" forms.
EXTRA_PAGES = (
    "customers:detail:ended_customer",
    "mail:triage_detail:triage_message?q=Hostile Target",
)


def all_pages():
    views = sorted({entry.view for entry in URLS.values() if entry.view})
    return [*URLS, *views, *EXTRA_PAGES]


def page_url(page, world):
    """The path of a page: a URL name (filled as the table says) or "url name:world object"."""
    if page in URLS:
        return url_for(page, world)
    page, _, query = page.partition("?")
    name, obj = page.rsplit(":", 1)
    path = reverse(name, args=[world.pk(obj)])
    return f"{path}?{urlencode(parse_qsl(query))}" if query else path


def _page_name(page):
    return page if page in URLS else page.partition("?")[0].rsplit(":", 1)[0]


def discover_forms(client, anonymous_client, world, pages=None):
    """{(url name, method): HtmlForm} for the forms on the pages (all_pages() by default).

    The first form found for a URL name wins, except that a form whose action is the URL as the
    table fills it (the world's object) is preferred to one for another object.
    """
    pages = all_pages() if pages is None else pages
    found = {}
    for page in pages:
        path = page_url(page, world)
        anonymous = URLS[_page_name(page)].anonymous
        response = (anonymous_client if anonymous else client).get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in parse_forms(response.content.decode(), path):
            form.page = page
            target = url_name_of(form.action)
            if target is None:
                continue  # a URL outside the project
            key = (target, form.method)
            own_path = urlsplit(url_for(target, world)).path if target in URLS else None
            own = urlsplit(form.action).path == own_path
            if key not in found or (own and not found[key][1]):
                found[key] = (form, own)
    forms = {key: form for key, (form, _own) in found.items()}
    for name, entry in URLS.items():
        if entry.fields and (name, "post") not in forms:
            fields = {}
            for field, kind, options in entry.fields:
                # Options may depend on the world (a stage of the world's opportunity).
                options = options(world) if callable(options) else options
                fields[field] = Field(field, kind, [options[0]], list(options))
            forms[(name, "post")] = HtmlForm("post", url_for(name, world), fields, page="")
    return forms
