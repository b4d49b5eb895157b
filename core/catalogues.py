"""The translation catalogues: compiled without GNU gettext, and checked for completeness.

`python -m core.catalogues compile [PO ...]` writes each .po's .mo beside it with polib (pure
Python), so `make install`, `make test` and the Docker build need no `msgfmt`; Django's own
`compilemessages` does. With no arguments it compiles every catalogue under locale/ whose .mo is
missing or older than its .po.

`problems(catalogue)` lists what keeps a catalogue from being complete: untranslated, fuzzy and
obsolete entries, plural entries with an empty form, and placeholders or HTML tags that differ
between the English and the translation. `missing(committed, extracted)` lists the marked
strings a fresh `makemessages` finds that the committed catalogue lacks. tests/core/
test_catalogues.py runs both against locale/ (and so does CI).

Imports nothing from Django or the apps: the Dockerfile runs it before settings can load.
"""

import re
import sys
from collections import Counter
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

# `%(name)s`, `%s`, `%d`, `%.2f`... (`%%` is a literal percent sign, not a placeholder).
PERCENT_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[sdifrxXeEgGcaou%]")
# `{name}`, `{}`, `{0:.2f}`; not prose in braces such as "{currency: amount}".
BRACE_PLACEHOLDER = re.compile(r"\{\w*(?:\.\w+)*(?:![rsa])?(?::[^{}\s]*)?\}")
HTML_TAG = re.compile(r"</?([a-zA-Z][\w-]*)")


def compile_catalogue(po_path, mo_path=None):
    """Write the .mo of one .po (beside it unless told otherwise). Fuzzy entries are left out,
    as msgfmt leaves them out: a guess is not shown to users."""
    po_path = Path(po_path)
    mo_path = Path(mo_path) if mo_path else po_path.with_suffix(".mo")
    catalogue = polib.pofile(str(po_path))
    catalogue.save_as_mofile(str(mo_path))
    return mo_path


def stale_catalogues(locale_dir=LOCALE_DIR):
    """The .po files under locale_dir whose .mo is missing or older."""
    stale = []
    for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            stale.append(po_path)
    return stale


def compile_stale(locale_dir=LOCALE_DIR):
    return [compile_catalogue(po_path) for po_path in stale_catalogues(locale_dir)]


def _key(entry):
    return (entry.msgctxt or "", entry.msgid)


def _label(entry):
    where = repr(entry.msgid)
    if entry.msgctxt:
        where += f" (context {entry.msgctxt!r})"
    if entry.occurrences:
        path, line = entry.occurrences[0]
        where += f" at {path}:{line}" if line else f" at {path}"
    return where


def placeholders(text, python_format=True):
    """What must survive translation: named and positional %-placeholders (only when the entry
    is python-format: elsewhere `%` is a literal), {}-placeholders and the HTML tags' names."""
    found = Counter()
    if python_format:
        for match in PERCENT_PLACEHOLDER.finditer(text):
            if match.group(0) != "%%":
                found[match.group(0) if not match.group(1) else f"%({match.group(1)})"] += 1
    for match in BRACE_PLACEHOLDER.finditer(text):
        found[match.group(0)] += 1
    for match in HTML_TAG.finditer(text):
        closing = "/" if match.group(0).startswith("</") else ""
        found[f"<{closing}{match.group(1).lower()}>"] += 1
    return found


def _describe(counter):
    return ", ".join(sorted(counter.elements())) or "none"


def problems(catalogue):
    """Everything that keeps one catalogue (a polib.POFile or a path) from being complete, one
    line each."""
    if not isinstance(catalogue, polib.POFile):
        catalogue = polib.pofile(str(catalogue))
    found = []
    for entry in catalogue:
        label = _label(entry)
        if entry.obsolete:
            found.append(f"obsolete: {label} (no longer in the code; remove it)")
            continue
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {label}")
        python_format = "python-format" in entry.flags
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(_plural_count(catalogue))]
            if not any(forms):
                found.append(f"untranslated: {label}")
                continue
            for index, form in enumerate(forms):
                if not form:
                    found.append(f"empty plural form {index}: {label}")
                    continue
                expected = placeholders(entry.msgid_plural, python_format)
                got = placeholders(form, python_format)
                # Form 0 may follow the singular ("one customer"), the others the plural.
                if got != expected and not (
                    index == 0 and got == placeholders(entry.msgid, python_format)
                ):
                    found.append(
                        f"placeholders differ in plural form {index}: {label}: "
                        f"English has {_describe(expected)}, translation has {_describe(got)}"
                    )
            continue
        if not entry.msgstr:
            found.append(f"untranslated: {label}")
            continue
        expected = placeholders(entry.msgid, python_format)
        got = placeholders(entry.msgstr, python_format)
        if got != expected:
            found.append(
                f"placeholders differ: {label}: English has {_describe(expected)}, "
                f"translation has {_describe(got)}"
            )
    return found


def _plural_count(catalogue):
    match = re.search(r"nplurals\s*=\s*(\d+)", catalogue.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else 2


def missing(committed, extracted):
    """The entries a fresh extraction found that the committed catalogue lacks (marked in the
    code, never extracted), and the committed ones the code no longer marks."""
    if not isinstance(committed, polib.POFile):
        committed = polib.pofile(str(committed))
    if not isinstance(extracted, polib.POFile):
        extracted = polib.pofile(str(extracted))
    have = {_key(entry): entry for entry in committed if not entry.obsolete}
    marked = {_key(entry): entry for entry in extracted if not entry.obsolete}
    found = [
        f"not in the catalogue: {_label(entry)}" for key, entry in marked.items() if key not in have
    ]
    found += [
        f"no longer marked in the code: {_label(entry)}"
        for key, entry in have.items()
        if key not in marked
    ]
    for key, entry in marked.items():
        if key in have and (entry.msgid_plural or "") != (have[key].msgid_plural or ""):
            found.append(f"plural changed: {_label(entry)}")
    return found


def main(argv):
    if len(argv) < 1 or argv[0] != "compile":
        print("usage: python -m core.catalogues compile [PO ...]", file=sys.stderr)
        return 2
    paths = argv[1:]
    written = [compile_catalogue(path) for path in paths] if paths else compile_stale()
    for mo_path in written:
        print(f"compiled {mo_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
