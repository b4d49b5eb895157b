"""The catalogue check: every marked string is in locale/{pl,cs,ru}, translated, not fuzzy, with
its placeholders and HTML tags intact (core/catalogues.py). It runs in `make test`, so in CI.

The first tests run `makemessages` (the same command as `make messages`) into a copy of the
source and compare; then each committed catalogue is checked entry by entry. The tests after
them prove the checker on small catalogues with one defect each."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from core import catalogues

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["pl", "cs", "ru"]
# The same list as the Makefile's MAKEMESSAGES_IGNORE (and the lead's first extraction).
IGNORE = [".venv", "tests", "bench", "test-artifacts", "static/vendor"]
# Not source: never copied for the extraction.
NOT_SOURCE = {".git", "var", "__pycache__", ".pytest_cache", ".ruff_cache", "node_modules"}


def _report(title, lines):
    shown = "\n  ".join(lines[:300])
    more = f"\n  ... and {len(lines) - 300} more" if len(lines) > 300 else ""
    return f"{title} ({len(lines)}):\n  {shown}{more}"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """makemessages run over a copy of the source, with the committed catalogues as its start:
    {language: the .po it wrote}."""
    for tool in ("xgettext", "msgmerge", "msguniq"):
        if shutil.which(tool) is None:
            pytest.fail(
                f"{tool} (GNU gettext) is missing: makemessages needs it. "
                "`apt-get install -y gettext` (make test and .ci/run do it)."
            )
    copy = tmp_path_factory.mktemp("extraction") / "src"
    ignored = {ROOT / path for path in IGNORE}

    def skip(directory, names):
        return [
            name
            for name in names
            if name in NOT_SOURCE
            or Path(directory, name) in ignored
            or name.endswith((".mo", ".pyc"))
        ]

    shutil.copytree(ROOT, copy, ignore=skip, symlinks=True)
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "crm.settings.base"}
    command = [sys.executable, "manage.py", "makemessages"]
    command += [f"--locale={language}" for language in LANGUAGES]
    command += [f"--ignore={path}" for path in IGNORE]
    result = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return {
        language: copy / "locale" / language / "LC_MESSAGES" / "django.po" for language in LANGUAGES
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_in_the_catalogue(extracted, language):
    committed = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    assert committed.exists(), f"{committed} is missing: `make messages`"
    found = catalogues.missing(committed, extracted[language])
    if found:
        pytest.fail(
            _report(f"locale/{language} is not what `make messages` extracts; run it", found)
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_is_complete(language):
    committed = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    found = catalogues.problems(committed)
    if found:
        pytest.fail(_report(f"locale/{language} is not complete", found))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_has_three_plural_forms(language):
    committed = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    assert "nplurals=3;" in committed.metadata["Plural-Forms"]
    assert committed.metadata["Language"] == language


# The checker itself, on small catalogues.

HEADER = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: pl\n"
"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && "
"(n%100<10 || n%100>=20) ? 1 : 2);\n"

"""

GOOD = """#: customers/models.py:1
msgid "Customer"
msgstr "Klient"

#: customers/views.py:2
#, python-format
msgid "Customer %(name)s saved."
msgstr "Zapisano klienta %(name)s."

#: customers/views.py:3
#, python-format
msgid "%(count)s customer"
msgid_plural "%(count)s customers"
msgstr[0] "%(count)s klient"
msgstr[1] "%(count)s klienci"
msgstr[2] "%(count)s klientów"

#: templates/base.html:4
msgid "Read <a href=\\"/help/\\">the help</a>."
msgstr "Przeczytaj <a href=\\"/pomoc/\\" title=\\"Pomoc\\">pomoc</a>."

#: templates/base.html:5
msgid "100% sure"
msgstr "w 100% pewne"

#: templates/base.html:6
msgctxt "verb"
msgid "Close"
msgstr "Zamknij"
"""


def _write(tmp_path, body, name="django.po"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_a_complete_catalogue_passes(tmp_path):
    assert catalogues.problems(_write(tmp_path, GOOD)) == []


def test_an_untranslated_entry_fails(tmp_path):
    path = _write(tmp_path, GOOD + '\n#: a.py:9\nmsgid "Ticket"\nmsgstr ""\n')
    assert catalogues.problems(path) == ["untranslated: 'Ticket' at a.py:9"]


def test_a_fuzzy_entry_fails(tmp_path):
    path = _write(tmp_path, GOOD + '\n#: a.py:9\n#, fuzzy\nmsgid "Tickets"\nmsgstr "Zgłoszenie"\n')
    assert catalogues.problems(path) == ["fuzzy: 'Tickets' at a.py:9"]


def test_an_obsolete_entry_fails(tmp_path):
    path = _write(tmp_path, GOOD + '\n#~ msgid "Old page"\n#~ msgstr "Stara strona"\n')
    assert catalogues.problems(path) == ["obsolete: 'Old page' (no longer in the code; remove it)"]


def test_a_plural_entry_with_an_empty_form_fails(tmp_path):
    body = (
        '\n#: a.py:9\n#, python-format\nmsgid "%(count)s day"\nmsgid_plural "%(count)s days"\n'
        'msgstr[0] "%(count)s dzień"\nmsgstr[1] "%(count)s dni"\nmsgstr[2] ""\n'
    )
    assert catalogues.problems(_write(tmp_path, GOOD + body)) == [
        "empty plural form 2: '%(count)s day' at a.py:9"
    ]


@pytest.mark.parametrize(
    ("msgid", "msgstr", "flags"),
    [
        ("Saved %(name)s.", "Zapisano %(nazwa)s.", "python-format"),
        ("Saved %s.", "Zapisano.", "python-format"),
        ("Saved {name}.", "Zapisano {nazwa}.", ""),
        ("Read <strong>this</strong>.", "Przeczytaj to.", ""),
        ("Read <strong>this</strong>.", "Przeczytaj <em>to</em>.", ""),
    ],
)
def test_a_placeholder_or_tag_that_differs_fails(tmp_path, msgid, msgstr, flags):
    flag_line = f"#, {flags}\n" if flags else ""
    path = _write(tmp_path, GOOD + f'\n#: a.py:9\n{flag_line}msgid "{msgid}"\nmsgstr "{msgstr}"\n')
    [problem] = catalogues.problems(path)
    assert problem.startswith(f"placeholders differ: {msgid!r} at a.py:9: English has ")


def test_a_plural_form_that_loses_its_number_fails(tmp_path):
    body = (
        '\n#: a.py:9\n#, python-format\nmsgid "%(count)s day"\nmsgid_plural "%(count)s days"\n'
        'msgstr[0] "%(count)s dzień"\nmsgstr[1] "kilka dni"\nmsgstr[2] "%(count)s dni"\n'
    )
    [problem] = catalogues.problems(_write(tmp_path, GOOD + body))
    assert problem.startswith("placeholders differ in plural form 1: '%(count)s day'")


def test_a_marked_string_missing_from_the_catalogue_fails(tmp_path):
    committed = _write(tmp_path, GOOD, "committed.po")
    extracted = _write(
        tmp_path,
        GOOD.replace('msgid "Customer"\nmsgstr "Klient"', 'msgid "Customer"\nmsgstr ""')
        + '\n#: processes/views.py:7\nmsgid "Escalate"\nmsgstr ""\n'
        + '\n#: processes/views.py:8\nmsgctxt "noun"\nmsgid "Close"\nmsgstr ""\n',
        "extracted.po",
    )
    assert catalogues.missing(committed, extracted) == [
        "not in the catalogue: 'Escalate' at processes/views.py:7",
        "not in the catalogue: 'Close' (context 'noun') at processes/views.py:8",
    ]


def test_a_string_the_code_no_longer_marks_fails(tmp_path):
    committed = _write(tmp_path, GOOD + '\n#: a.py:9\nmsgid "Gone"\nmsgstr "Nie ma"\n', "c.po")
    extracted = _write(tmp_path, GOOD + '\n#~ msgid "Gone"\n#~ msgstr "Nie ma"\n', "e.po")
    assert catalogues.missing(committed, extracted) == [
        "no longer marked in the code: 'Gone' at a.py:9"
    ]


def test_the_compiled_catalogue_translates_without_fuzzy_guesses(tmp_path):
    import gettext

    body = GOOD + '\n#: a.py:9\n#, fuzzy\nmsgid "Tickets"\nmsgstr "Zgłoszenie"\n'
    mo_path = catalogues.compile_catalogue(_write(tmp_path, body))
    with mo_path.open("rb") as handle:
        translation = gettext.GNUTranslations(handle)
    assert translation.gettext("Customer") == "Klient"
    assert translation.pgettext("verb", "Close") == "Zamknij"
    assert translation.ngettext("%(count)s customer", "%(count)s customers", 5) == (
        "%(count)s klientów"
    )
    assert translation.ngettext("%(count)s customer", "%(count)s customers", 3) == (
        "%(count)s klienci"
    )
    assert translation.gettext("Tickets") == "Tickets"


def test_a_po_newer_than_its_mo_is_compiled_again(tmp_path):
    po_path = tmp_path / "pl" / "LC_MESSAGES" / "django.po"
    po_path.parent.mkdir(parents=True)
    po_path.write_text(HEADER + GOOD, encoding="utf-8")
    assert catalogues.stale_catalogues(tmp_path) == [po_path]
    catalogues.compile_stale(tmp_path)
    assert catalogues.stale_catalogues(tmp_path) == []
    mo_time = po_path.with_suffix(".mo").stat().st_mtime
    os.utime(po_path, (mo_time + 10, mo_time + 10))
    assert catalogues.stale_catalogues(tmp_path) == [po_path]
