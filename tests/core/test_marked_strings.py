"""No user-facing string escapes translation: every template's text and the attributes users read
or hear, and the Python literals that reach a screen, an e-mail or an export, are marked.

Templates are loaded by Django's engine and their node trees walked: the text outside
{% translate %} / {% blocktranslate %} is put back together (every other node stands in as a
mark that is not a letter) and read with an HTML parser, so a `title="..."` split by a
{% url %} is still seen whole. Python modules are read as syntax trees: the calls and arguments
listed in USER_FACING_* carry text to users, and a plain string literal with a word in them is
unmarked text. Each finding names its file and line."""

import ast
import re
from html.parser import HTMLParser
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.forms import BaseForm
from django.template import engines
from django.template.base import TextNode, VariableNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils.functional import Promise
from django_filters import FilterSet

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
APPS = ["crm", "core", "customers", "relationships", "processes", "analytics", "api", "demo"]
# Not interface: the data generator writes records (their titles are data, like a user's), and
# the benchmark's URLs answer machines.
NOT_INTERFACE = {"demo/datagen", "crm/bench_urls.py"}

# A word users read: two letters or more (any alphabet).
WORD = re.compile(r"[^\W\d_]{2,}")
# Form fields whose label the form sets when it is made (from Django's own translated names).
LABELLED_AT_INIT = {"core.auth.LoginForm.username"}  # AuthenticationForm: the user model's
# Text that is the same in every language. Keep this list tiny and explicit.
ALLOWED_TEXT = {
    "CRM",  # the product's name
    "CSV",  # file formats and protocols, named alike in every language
    "XLSX",
    "TLS",
}
USER_FACING_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "aria-description"}
# Where text is not shown: the parser does not read into these elements.
NOT_SHOWN = {"script", "style"}
# What every non-text node becomes: a space, so that `<tr{% if late %} class="late"{% endif %}>`
# is still a tag to the parser, and never a letter.
STAND_IN = " "


def _is_user_facing(text):
    words = WORD.findall(text)
    return bool(words) and " ".join(words) not in ALLOWED_TEXT


class _TextReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in USER_FACING_ATTRIBUTES and value and _is_user_facing(value):
                self.found.append(f'<{tag} {name}="{value.strip()}">')
        if tag in NOT_SHOWN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in NOT_SHOWN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and _is_user_facing(data):
            self.found.append(" ".join(data.split()))


# `{{ owner|default:"nobody" }}` shows its literal when the value is empty: the literal goes into
# the text where the variable stands (in an attribute users read, or as text), to be checked there.
# `|default:_("nobody")` is marked.
LITERAL_DEFAULT = re.compile(r"\|default(?:_if_none)?:(?P<q>[\"'])(?P<text>[^\"']*)(?P=q)")


def _skeleton(nodelist, parts):
    """The template's text in source order, every other node a stand-in."""
    for node in nodelist:
        if isinstance(node, TextNode):
            parts.append(node.s)
            continue
        parts.append(STAND_IN)
        if isinstance(node, (TranslateNode, BlockTranslateNode)):
            continue
        if isinstance(node, VariableNode):
            for match in LITERAL_DEFAULT.finditer(node.filter_expression.token):
                parts.append(match.group("text") + STAND_IN)
            continue
        for attribute in node.child_nodelists:
            children = getattr(node, attribute, None)
            if children:
                _skeleton(children, parts)
                parts.append(STAND_IN)


def unmarked_in_template(name=None, source=None):
    engine = engines["django"]
    template = (engine.get_template(name) if name else engine.from_string(source)).template
    parts = []
    _skeleton(template.nodelist, parts)
    reader = _TextReader()
    reader.feed("".join(parts))
    reader.close()
    return reader.found


def _template_names():
    # Pages and the e-mails' .txt bodies and subjects.
    return sorted(str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.*"))


def test_every_template_is_checked():
    assert len(_template_names()) > 50


@pytest.mark.parametrize("name", _template_names())
def test_template_text_is_marked(name):
    found = unmarked_in_template(name)
    assert not found, f"templates/{name}: unmarked text:\n  " + "\n  ".join(found)


# Python.

GETTEXT = {
    "_",
    "gettext",
    "gettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "npgettext",
    "npgettext_lazy",
    "gettext_noop",
}
# Calls whose arguments users read: {name: positions of the arguments}. A name matches the
# call's last part (`messages.error`, `forms.ValidationError`).
USER_FACING_ARGUMENTS = {
    "debug": (1,),
    "info": (1,),
    "success": (1,),
    "warning": (1,),
    "error": (1,),
    "add_message": (2,),
    "ValidationError": (0,),
    "PermissionDenied": (0,),
    "Http404": (0,),
    "SuspiciousOperation": (0,),
    "send_mail": (0, 1),
    "mail_managers": (0, 1),
    "mail_admins": (0, 1),
    "EmailMessage": (0, 1),
    "EmailMultiAlternatives": (0, 1),
    "writerow": (0,),
    "format_html": (0,),
    "mark_safe": (0,),
    "HttpResponse": (0,),
    "HttpResponseBadRequest": (0,),
    "HttpResponseForbidden": (0,),
    "add_error": (1,),
    # Commands' output is translated too (operators read it in their language).
    "write": (0,),
}
USER_FACING_KEYWORDS = {
    "label",
    "help_text",
    "verbose_name",
    "verbose_name_plural",
    "empty_label",
    "description",
    "short_description",
    "empty_value_display",
    "choices",
    "error_messages",
    "subject",
    "body",
    "message",
    "title",
    "heading",
    "violation_error_message",
    "help",  # a command's arguments in --help
}
# Class attributes users read (Meta's names, admin columns, a command's --help).
USER_FACING_ASSIGNMENTS = {
    "verbose_name",
    "verbose_name_plural",
    "short_description",
    "empty_value_display",
    "help",
    "title",
    "heading",
    "label",
    "success_message",
}
# Dict keys whose values are shown (chart datasets and titles, report columns).
# and widgets' attributes users read.
USER_FACING_KEYS = {
    "label",
    "title",
    "heading",
    "text",
    "description",
    "help_text",
    "subject",
    "placeholder",
    "aria-label",
    "alt",
}
# Fields whose first positional argument is the model they point to, not a verbose name.
RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField", "GenericForeignKey"}
CHOICES_BASES = {"TextChoices", "IntegerChoices", "Choices"}
HTML_TAG = re.compile(r"<[^>]*>")
FORMAT_FIELD = re.compile(r"\{\w*(?:\.\w+)*(?:![rsa])?(?::[^{}\s]*)?\}")
PERCENT_FIELD = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def _callee(node):
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _words_in_literal(text, html=False):
    text = PERCENT_FIELD.sub(" ", FORMAT_FIELD.sub(" ", text))
    if html:
        reader = _TextReader()
        reader.feed(text)
        reader.close()
        return reader.found
    return [text] if _is_user_facing(text) else []


# Translated when called: in a module's or a class's body that is once, at import, in whatever
# language is active then; there the lazy variants belong.
EAGER_GETTEXT = {"gettext", "pgettext", "ngettext", "npgettext"}


class _PythonReader(ast.NodeVisitor):
    def __init__(self, path):
        self.path = path
        self.found = []
        self.eager = set()  # the names under which this module imported an eager gettext
        self.in_function = 0

    def visit_ImportFrom(self, node):
        if node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in EAGER_GETTEXT:
                    self.eager.add(alias.asname or alias.name)
                name = alias.asname or alias.name
                if alias.name in GETTEXT and name != alias.name and name != "_":
                    # makemessages finds strings by the function's name: `_lazy("…")` is
                    # never extracted, so never translated.
                    self._flag(node, "a name makemessages does not extract", f"as {name}")
                if name == "_" and alias.name not in {"gettext", "gettext_lazy"}:
                    self._flag(node, "extracted as plain gettext", f"{alias.name} as _")

    def visit_FunctionDef(self, node):
        for decorator in node.decorator_list:
            self.visit(decorator)
        if node.name == "__str__":
            # What the admin, the selects and the messages show for an object.
            for statement in ast.walk(node):
                if isinstance(statement, ast.Return):
                    self.check(statement.value, "__str__")
        self.in_function += 1
        for statement in node.body:
            self.visit(statement)
        self.in_function -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self.in_function += 1
        self.generic_visit(node)
        self.in_function -= 1

    def _flag(self, node, why, text):
        location = f"{self.path.relative_to(ROOT)}:{node.lineno}"
        self.found.append(f"{location}: {why}: {text!r}")

    def check(self, node, why, html=False):
        """Flag the unmarked literals an expression shows to users."""
        if node is None:
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for text in _words_in_literal(node.value, html):
                self._flag(node, why, text)
        elif isinstance(node, ast.JoinedStr):
            literal = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
            if _words_in_literal(literal, html):
                self._flag(node, f"{why} (an f-string cannot be translated)", literal)
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    self.check(part.value, why, html)
        elif isinstance(node, ast.BinOp):
            self.check(node.left, why, html)
            self.check(node.right, why, html)
        elif isinstance(node, ast.IfExp):
            self.check(node.body, why, html)
            self.check(node.orelse, why, html)
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for element in node.elts:
                self.check(element, why, html)
        elif isinstance(node, ast.Dict):
            for value in node.values:
                self.check(value, why, html)
        elif isinstance(node, ast.Call):
            name = _callee(node)
            if name in GETTEXT:
                return
            if name in {"format", "join"} and isinstance(node.func, ast.Attribute):
                self.check(node.func.value, why, html)
            if name in {"format_html", "format_html_join"} and node.args:
                self.check(node.args[0], why, html=True)

    def visit_Call(self, node):
        name = _callee(node)
        if name in self.eager and isinstance(node.func, ast.Name) and not self.in_function:
            self._flag(node, "translated once at import: use the lazy variant", name)
        if name in GETTEXT:
            texts = node.args[1:] if name.startswith(("pgettext", "npgettext")) else node.args
            if texts and not (
                isinstance(texts[0], ast.Constant) and isinstance(texts[0].value, str)
            ):
                # makemessages extracts literals only: a computed message is never translated.
                self._flag(node, "not a literal, so never extracted", ast.unparse(node))
            return  # what is inside is marked
        for position in USER_FACING_ARGUMENTS.get(name, ()):
            if position < len(node.args):
                self.check(
                    node.args[position], f"{name}()", html=name in {"format_html", "mark_safe"}
                )
        if (
            name
            and name.endswith("Field")
            and name not in RELATION_FIELDS
            and node.args
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "models"
        ):
            self.check(node.args[0], f"{name}() verbose name")
        for keyword in node.keywords:
            if keyword.arg in USER_FACING_KEYWORDS:
                if keyword.arg == "choices":
                    self._check_choices(keyword.value)
                else:
                    self.check(keyword.value, f"{keyword.arg}=")
        self.generic_visit(node)

    def _check_choices(self, node):
        if isinstance(node, (ast.List, ast.Tuple)):
            for element in node.elts:
                if isinstance(element, ast.Tuple) and len(element.elts) == 2:
                    self.check(element.elts[1], "choices label")

    def visit_Assign(self, node):
        for target in node.targets:
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name in USER_FACING_ASSIGNMENTS:
                self.check(node.value, f"{name} =")
            elif name.endswith("CHOICES"):
                self._check_choices(node.value)
        self.generic_visit(node)

    def visit_Dict(self, node):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value in USER_FACING_KEYS:
                self.check(value, f"{key.value!r}: ")
        self.generic_visit(node)

    def visit_ClassDef(self, node):
        bases = {getattr(base, "attr", getattr(base, "id", None)) for base in node.bases}
        if bases & CHOICES_BASES:
            for statement in node.body:
                if not isinstance(statement, ast.Assign):
                    continue
                value = statement.value
                if isinstance(value, ast.Tuple) and len(value.elts) >= 2:
                    self.check(value.elts[-1], "choice label")
                elif isinstance(value, ast.Constant):
                    # Without a label Django makes one from the member's name, in English.
                    self._flag(statement, "choice without a label", ast.unparse(statement))
        self.generic_visit(node)


def unmarked_in_python(path, source=None):
    reader = _PythonReader(path)
    source = path.read_text(encoding="utf-8") if source is None else source
    reader.visit(ast.parse(source, filename=str(path)))
    return reader.found


def _python_files():
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        and not any(str(path.relative_to(ROOT)).startswith(skip) for skip in NOT_INTERFACE)
    )


def test_every_app_is_checked():
    checked = {path.relative_to(ROOT).parts[0] for path in _python_files()}
    assert checked == set(APPS)


@pytest.mark.parametrize("path", _python_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_python_text_is_marked(path):
    found = unmarked_in_python(path)
    assert not found, "unmarked text:\n  " + "\n  ".join(found)


# The checkers themselves.


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<p>Saved.</p>", ["Saved."]),
        ('<a href="{% url \'home\' %}" title="Go home">⌂</a>', ['<a title="Go home">']),
        ('<input name="q" placeholder="Search…">', ['<input placeholder="Search…">']),
        ('<img src="x.png" alt="Logo">', ['<img alt="Logo">']),
        ('<button aria-label="Close">&times;</button>', ['<button aria-label="Close">']),
        ("{% if late %}<span>Overdue</span>{% endif %}", ["Overdue"]),
        ("{% for x in xs %}{{ x }}{% empty %}<li>None yet</li>{% endfor %}", ["None yet"]),
        ('<td>{{ owner|default:"nobody" }}</td>', ["nobody"]),
        ("<td>{{ n }} min</td>", ["min"]),
        ('<tr{% if late %} class="late"{% endif %}><td>Late</td></tr>', ["Late"]),
        (
            "{% translate 'Saved.' %} <b>{% blocktranslate %}Hi {{ n }}{% endblocktranslate %}</b>",
            [],
        ),
        ('<a title="{% translate \'Go home\' %}" class="btn btn-sm">{{ x|default:"—" }}</a>', []),
        ("{% comment %}Not shown{% endcomment %}<!-- a note --><p>{{ x }} · CRM</p>", []),
        (
            '<a href="/customers/?sort=name" class="small">{{ x|date:"DATE_FORMAT" }}</a>',
            [],
        ),
    ],
)
def test_the_template_check_finds_unmarked_text(source, found):
    assert unmarked_in_template(source="{% load i18n %}" + source) == found


PYTHON = """
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

LABELS = {"won": _("Won")}  # unmarked


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", "Open"  # unmarked
        DONE = "done", gettext_lazy("Done")
        LOST = "lost"  # unmarked

    name = models.CharField("Name", max_length=10)  # unmarked
    owner = models.ForeignKey("auth.User", models.PROTECT, verbose_name=gettext_lazy("owner"))
    note = models.TextField(help_text="Shown on the card.")  # unmarked

    class Meta:
        verbose_name = "stage"  # unmarked


from django.utils.translation import gettext_lazy as _lazy  # unmarked


def view(request, stage):
    title = gettext_lazy(stage.title)  # unmarked
    messages.success(request, f"Stage {stage} saved.")  # unmarked
    messages.error(request, _("Stage %(name)s failed.") % {"name": stage})
    if not stage:
        raise ValidationError({"name": "Give a name."})  # unmarked
    chart = {"label": "Closed", "data": [1]}  # unmarked
    writer.writerow(["Customer", _("Amount")])  # unmarked
    return format_html("<b>{}</b> days left", 3)  # unmarked
"""


def test_the_python_check_finds_unmarked_text():
    source = PYTHON.lstrip("\n")
    found = unmarked_in_python(ROOT / "example.py", source)
    lines = [int(finding.split(":")[1]) for finding in found]
    expected = [
        number
        for number, line in enumerate(source.splitlines(), start=1)
        if line.endswith("# unmarked")
    ]
    assert lines == expected, "\n".join(found)


# What Django derives from names: a model field, a model, a form field or a filter without a
# name of its own is shown with one made from the Python name, in English.


def _our(cls):
    return cls.__module__.split(".")[0] in APPS


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


@pytest.fixture(scope="module")
def everything_loaded():
    # The URLs import every view, so every form and filter; the admin registers every model.
    import_module(settings.ROOT_URLCONF)


def test_form_fields_have_marked_labels(everything_loaded):
    found = []
    forms = [form for form in set(_subclasses(BaseForm)) if _our(form)]
    assert len(forms) > 20
    for form in forms:
        for name, field in form.base_fields.items():
            where = f"{form.__module__}.{form.__name__}.{name}"
            if where not in LABELLED_AT_INIT and not isinstance(field.label, Promise):
                found.append(f"{where}: {field.label!r}")
    assert not found, "form fields without a marked label:\n  " + "\n  ".join(found)


def test_filters_have_marked_labels(everything_loaded):
    found = []
    filtersets = [filterset for filterset in set(_subclasses(FilterSet)) if _our(filterset)]
    assert len(filtersets) > 3
    for filterset in filtersets:
        model = filterset._meta.model
        for name, filter_ in filterset.base_filters.items():
            label = filter_._label
            if label is None and model is not None:
                # django-filter names it after the model field's verbose name.
                label = model._meta.get_field(filter_.field_name.split("__")[0]).verbose_name
            if not isinstance(label, Promise):
                found.append(f"{filterset.__module__}.{filterset.__name__}.{name}: {label!r}")
    assert not found, "filters without a marked label:\n  " + "\n  ".join(found)


def test_models_in_the_admin_have_marked_names(everything_loaded):
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        for attribute in ("verbose_name", "verbose_name_plural"):
            if not isinstance(getattr(model._meta, attribute), Promise):
                found.append(f"{model._meta.label}: Meta.{attribute}")
        shown = set(model_admin.list_display) | set(model_admin.readonly_fields)
        for field in model._meta.get_fields():
            if field.auto_created or not hasattr(field, "verbose_name"):
                continue
            if (field.editable or field.name in shown) and not isinstance(
                field.verbose_name, Promise
            ):
                found.append(f"{model._meta.label}.{field.name}: {field.verbose_name!r}")
    assert not found, "admin shows unmarked names:\n  " + "\n  ".join(found)
