"""One hostile request and everything that must hold after it.

`Probe.run()` sends one request as one persona inside a savepoint that is rolled back
afterwards, so every example starts from the same world, and returns the broken properties:

- the answer is never a 5xx (the exception is reported with its traceback) and never shows the
  hostile markup unescaped, and a redirect never leaves the site;
- a POST is either saved (a redirect without an error message) or refused with an error the
  page shows (a form error or an error message); a refused POST changes no row of any domain
  model (every row compared before and after: nothing half-saved), so the record's pages are
  as they were;
- after a save, no record of one customer points at another customer's records, no value
  outside every sane bound was stored (values.out_of_bounds), and the customer's page and
  history, the record's own page, a list and the page the save redirects to all answer 200
  (as a manager, who may see them all) without the hostile markup unescaped.
"""

import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F
from django.forms import BaseForm
from django.test import Client
from django.test.utils import ContextList
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import mfa
from customers.models import Customer

from .targets import URLS, url_for, url_name_of
from .values import RAW_MARKERS, out_of_bounds

DOMAIN_APPS = (
    "core",
    "customers",
    "relationships",
    "processes",
    "analytics",
    "mail",
    "imports",
    "integrations",
    "privacy",
    "api",
)
# Rows that any request writes, whatever it posts: the user's first request of the day, and
# the audit's security events (the probe's own log-in, a refused page). A refused post that
# changed a record would show in the record's own table.
AMBIENT_MODELS = {"analytics.useractivity", "core.auditevent"}
OWNER_PATHS = ("customer", "instance__customer", "invoice__customer")
PASSWORD = "secret-pass-1"  # tests.factories.UserFactory's


def domain_models():
    return [
        model
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.label_lower not in AMBIENT_MODELS and model._meta.managed
    ]


def snapshot():
    """Every row of every domain model, by model: the world is small enough to compare whole."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in domain_models()
    }


def changes(before, after):
    """What differs between two snapshots, said briefly."""
    said = []
    for label, rows in before.items():
        now = after[label]
        if rows == now:
            continue
        if len(rows) != len(now):
            said.append(f"{label}: {len(rows)} rows before, {len(now)} after")
            continue
        changed = [old[0] for old, new in zip(rows, now, strict=True) if old != new]
        said.append(f"{label}: rows {changed[:5]} changed")
    return said


def _owner_path(model):
    if model is Customer:
        return "pk"
    for path in OWNER_PATHS:
        current = model
        try:
            for part in path.split("__"):
                current = current._meta.get_field(part).related_model
        except Exception:  # the model has no such path
            continue
        if current is Customer:
            return path
    return None


def _ownership_checks():
    """(model, fk name, the fk's owner path, the model's owner path) for every link between two
    records that each belong to a customer."""
    checks = []
    for model in domain_models():
        own = _owner_path(model)
        if own is None or own == "pk" or model.__name__.startswith("Historical"):
            continue
        for fk in model._meta.concrete_fields:
            if not fk.is_relation or fk.name == own.split("__")[0]:
                continue
            related_own = _owner_path(fk.related_model)
            if related_own is not None:
                checks.append((model, fk.name, related_own, own))
    return checks


def ownership_breaches(checks):
    breaches = []
    for model, fk, related_own, own in checks:
        crossed = (
            model._base_manager.filter(**{f"{fk}__isnull": False})
            .exclude(**{f"{fk}__{related_own}": F(own)})
            .values_list("pk", flat=True)[:3]
        )
        breaches += [f"{model.__name__} {pk}: its {fk} is another customer's" for pk in crossed]
    return breaches


# --- Payloads -------------------------------------------------------------------------------


# Plausible values of fields that a page leaves empty, by name.
SANE_BY_NAME = {
    "country": "PL",
    "currency": "PLN",
    "username": "mike_manager",  # the manager persona (tests/conftest.py)
    "password": PASSWORD,
    # integrations: a webhook's receiver, a web form's website
    "target_url": "https://erp.example.com/hooks/crm",
    "redirect_url": "https://www.example.com/thanks",
    "allowed_origin": "https://www.example.com",
    "slug": "hostile-form",
    # mail: a private address of one's own mailbox; a mailing's audience is its segment alone
    "pattern": "@home.example",
    "customer_filter": "",
}


def _sane(field, persona):
    """A value the field accepts, for fields the page leaves empty."""
    if field.name in SANE_BY_NAME:
        return SANE_BY_NAME[field.name]
    if field.name == "code":
        # The two-factor enrolment form: the code its authenticator app would show now for the
        # device the enrolment page made (core.mfa).
        device = TOTPDevice.objects.filter(confirmed=False).order_by("-pk").first()
        if device is not None:
            return mfa.current_code(device)
    if field.name == "expires_at":  # an API token's end: in the future
        return (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    today = timezone.localdate()
    if field.kind in ("select", "radio"):
        options = [o for o in field.options if o]
        return options[0] if options else ""
    if field.kind == "date":
        return today.isoformat()
    if field.kind == "datetime-local":
        return (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    if field.kind == "number":
        return "10"
    if field.kind == "email":
        return "hostile@example.com"
    if field.kind == "password":
        return PASSWORD if "old" in field.name else "An0ther-long-passphrase"
    if field.kind == "file":
        return SimpleUploadedFile("scan.pdf", b"%PDF-1.4 sane\n", content_type="application/pdf")
    if field.kind == "checkbox" and field.required:
        return field.options[0]
    if field.kind in ("checkbox", "checkbox-multiple", "select-multiple"):
        return None
    return "Hostile test"[: field.maxlength]


def base_payload(form, persona, submit=()):
    """What a user submits without touching the form: its initial values, empty required
    fields filled with plausible ones, and `submit`'s (the button that saves)."""
    payload = {}
    for name, each in form.fields.items():
        if each.multiple:
            if each.initial:
                payload[name] = list(each.initial)
        elif each.kind in ("checkbox", "radio") and each.initial:
            payload[name] = each.initial[0]
        elif each.kind == "checkbox" and not each.required:
            continue
        elif each.initial and each.initial[0] != "":
            payload[name] = each.initial[0]
        else:
            value = _sane(each, persona)
            if value is not None:
                payload[name] = value
    # (A callable makes a fresh value per post: an uploaded file is read once.)
    payload.update({name: value() if callable(value) else value for name, value in submit})
    return payload


def show(payload):
    def short(value):
        if isinstance(value, SimpleUploadedFile):
            return f"<file {value.name!r} {value.content_type}>"
        text = repr(value)
        return text if len(text) <= 120 else f"{text[:100]}... ({len(value)} characters)"

    return "{" + ", ".join(f"{name!r}: {short(value)}" for name, value in payload.items()) + "}"


# --- The probe ------------------------------------------------------------------------------


@dataclass
class Outcome:
    failures: list = field(default_factory=list)
    accepted: bool = False


def _form_errors(response):
    errors = []
    contexts = response.context
    if contexts is None:
        contexts = []
    elif not isinstance(contexts, ContextList):
        contexts = [contexts]
    for context in contexts:
        for value in context.flatten().values():
            if isinstance(value, BaseForm) and value.is_bound and value.errors:
                errors.append(value.errors)
    return errors


def _messages(response):
    request = getattr(response, "wsgi_request", None)
    storage = getattr(request, "_messages", None)
    return list(storage) if storage is not None else []


def _error_text(response):
    if response.status_code >= 500:
        info = getattr(response, "exc_info", None)
        if info:
            return "".join(traceback.format_exception(*info)[-6:])
    return ""


class Probe:
    """Probes one world. Between its requests nothing may write but the requests themselves,
    each rolled back: so every request starts from the same rows, snapshotted once (the first
    POST's) instead of before each POST. Whatever writes between requests (opening pages to find
    their forms) makes a new Probe."""

    def __init__(self, world):
        self.world = world
        self.ownership = _ownership_checks()
        self._start = None

    def start(self):
        """Every row of the world as each request finds it (the first request's snapshot)."""
        if self._start is None:
            self._start = snapshot()
        return self._start

    def client(self, persona):
        client = Client(raise_request_exception=False)
        if persona != "anonymous":
            client.force_login(self.world.users[persona])
        return client

    def record_customer(self, name):
        obj = URLS[name].obj
        target = self.world[obj] if obj else None
        if isinstance(target, Customer):
            return target
        customer = getattr(target, "customer", None)
        return customer if isinstance(customer, Customer) else self.world["customer"]

    def record_pages(self, name, list_page):
        customer = self.record_customer(name)
        pages = [
            reverse("customers:detail", args=[customer.pk]),
            reverse("customers:history", args=[customer.pk]),
            url_for(list_page, self.world),
        ]
        view = URLS[name].view
        if view:
            view_name, obj = view.rsplit(":", 1)
            pages.append(reverse(view_name, args=[self.world.pk(obj)]))
        elif URLS[name].obj and url_name_of(url_for(name, self.world)) and name.endswith("detail"):
            pages.append(url_for(name, self.world))
        return pages

    def run(self, *, name, persona, method, payload, fields, list_page):
        """Send one request in a savepoint rolled back afterwards; the broken properties.

        `fields` are those of the form that sends this request, or None for a stray request to
        a URL without such a form.
        """
        cache.clear()
        with transaction.atomic():
            try:
                return self._run(name, persona, method, payload, fields, list_page)
            finally:
                transaction.set_rollback(True)
                cache.clear()

    def _run(self, name, persona, method, payload, fields, list_page):
        outcome = Outcome()
        fail = outcome.failures.append
        entry = URLS[name]
        url = url_for(name, self.world)
        before = self.start() if method == "post" else None
        client = self.client(persona)
        send = client.post if method == "post" else client.get
        response = send(url, payload)
        status = response.status_code
        if status >= 500:
            fail(f"{method.upper()} answered {status}\n{_error_text(response)}")
            return outcome
        self._check_html(response, f"the answer to the {method.upper()}", fail)
        location = response.get("Location", "") if status in (301, 302, 303, 307, 308) else ""
        if location and not url_has_allowed_host_and_scheme(location, {"testserver"}):
            fail(f"redirected off the site, to {location!r}")
        if method == "get":
            return outcome  # the answer itself was the page to check
        if fields is None and status == 200:
            # A page without a form of this kind answered a stray POST as it answers a GET
            # (the reports log that view and refresh their figures, as on every visit).
            return outcome
        fields = fields or {}
        errors = [m for m in _messages(response) if m.level >= message_levels.ERROR]
        if status == 200 and entry.saves_with_200:
            # A public page that thanks for the post on the spot: saved unless it shows errors.
            refused = bool(_form_errors(response) or errors)
        elif status == 200:
            refused = True
            preview = entry.previews is not None and entry.previews(payload)
            if fields and not (_form_errors(response) or errors or preview):
                fail("answered 200 to a POST without showing an error")
        else:
            refused = not location or bool(errors)  # a 4xx, or a redirect with an error message
        outcome.accepted = not refused
        if refused:
            # Nothing written, so every page of the record is as it was before.
            changed = changes(before, snapshot())
            if changed:
                fail(f"refused (status {status}) but rows changed: {'; '.join(changed)}")
            return outcome
        for field_name, value in payload.items():
            if field_name in fields:
                why = out_of_bounds(fields[field_name], value)
                if why:
                    fail(f"accepted an out-of-bounds value in {field_name!r}: {why}")
        for breach in ownership_breaches(self.ownership):
            fail(breach)
        pages = self.record_pages(name, list_page)
        own_pages = []  # the saved record's own: its owner's alone for an owners-only record
        if location and urlsplit(location).path not in pages and url_name_of(location):
            (own_pages if entry.owners_only else pages).append(location)
        manager = self.client("manager")
        owner = self.client(persona) if own_pages else manager
        for page, viewer in [(page, manager) for page in pages] + [(p, owner) for p in own_pages]:
            answer = viewer.get(page, follow=True)
            if answer.status_code != 200:
                fail(f"afterwards {page} answered {answer.status_code}\n{_error_text(answer)}")
                continue
            self._check_html(answer, page, fail)
        return outcome

    @staticmethod
    def _check_html(response, where, fail):
        if getattr(response, "streaming", False):
            return
        if "html" not in response.get("Content-Type", ""):
            return
        body = response.content.decode(errors="replace")
        for marker in RAW_MARKERS:
            if marker in body:
                at = body.index(marker)
                fail(f"{where} shows {marker!r} unescaped: …{body[max(0, at - 80) : at + 60]!r}…")
