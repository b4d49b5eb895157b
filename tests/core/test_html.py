"""core.html gives what Django's format_html() and conditional_escape() give, value by value."""

from decimal import Decimal

import pytest
from django.utils import html as django_html
from django.utils.functional import lazy
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from core import html

VALUES = [
    "plain",
    "<script>alert('x') & \"y\"</script>",
    mark_safe("<b>kept</b>"),
    gettext_lazy("Name"),
    lazy(lambda: mark_safe("<i>lazy safe</i>"), SafeString)(),
    lazy(lambda: "<lazy & unsafe>", str)(),
    12345,
    Decimal("-1.50"),
    None,
    "",
    "Zażółć gęślą jaźń — Příliš žluťoučký — Съешь же ещё",
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_escaped_is_conditional_escape(value):
    with override("pl"):
        assert html.escaped(value) == django_html.conditional_escape(value)


def test_format_html_is_djangos():
    template = '<td title="{}">{}</td><td>{}</td>{}'
    for args in zip(VALUES, VALUES[1:], VALUES[2:], VALUES[3:], strict=False):
        ours = html.format_html(template, *args)
        assert ours == django_html.format_html(template, *args)
        assert isinstance(ours, SafeString)
