"""What every import kind has: its fields with their header synonyms, and the steps a batch
takes (clean a row, find its duplicate, run a chunk of rows, undo a batch)."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..parsing import fold

# Every row of a batch is read, matched and run in chunks of this many: one query per chunk
# for the duplicates, one bulk insert per model per chunk.
CHUNK_SIZE = 1000


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    synonyms: tuple = ()
    required: bool = False

    def folded_synonyms(self):
        return {fold(self.name), fold(self.label), *(fold(s) for s in self.synonyms)}


@dataclass
class CleanRow:
    """A row read into the values its records take, and the errors beside its cells."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


class ImportKind:
    key = ""
    label = ""
    permission = None
    fields: tuple = ()
    # Whether rows can match an existing customer (create / update / skip per row).
    matches_customers = False
    # What the result page says undo does, in the kind's own words.
    undo_text = ""

    def field_names(self):
        return [f.name for f in self.fields]

    def field(self, name):
        return next((f for f in self.fields if f.name == name), None)

    def synonym_table(self):
        table = {}
        for item in self.fields:
            for synonym in item.folded_synonyms():
                table.setdefault(synonym, item.name)
        return table

    def known_headers(self, cells):
        table = self.synonym_table()
        return sum(1 for cell in cells if fold(cell) in table)

    def guess_mapping(self, headers, template=None):
        """Column number → field, from a template's folded headers first, then the synonyms;
        each field taken by the first column that names it."""
        table = self.synonym_table()
        remembered = (template.mapping if template is not None else {}) or {}
        mapping, taken = {}, set()
        for index, header in enumerate(headers):
            key = fold(header)
            name = remembered.get(key) or table.get(key)
            if name and name not in taken and name in self.field_names():
                mapping[str(index)] = name
                taken.add(name)
        return mapping

    def missing_required(self, mapping):
        mapped = set(mapping.values())
        return [f for f in self.fields if f.required and f.name not in mapped]

    def captions(self, batch) -> dict:
        """Field name → what the user calls it: the header of the file's column mapped to it,
        else the field's label (in the active language). Errors and the rejected rows' file
        name fields so, never by their internal names."""
        captions = {f.name: str(f.label) for f in self.fields}
        for column, name in batch.mapping.items():
            index = int(column)
            if index < len(batch.headers) and batch.headers[index].strip():
                captions[name] = batch.headers[index]
        return captions

    def error_lines(self, errors, captions) -> list:
        """A row's errors (field name → message) as "caption: message" texts; the row's own
        errors (`__all__`) without a caption."""
        return [
            message if name == "__all__" else f"{captions.get(name, name)}: {message}"
            for name, message in errors.items()
        ]

    def errors_text(self, errors, captions) -> str:
        """A rejected row's reason: all its errors, each naming its field as the user does."""
        return "; ".join(self.error_lines(errors, captions))[:500]

    # The result page's counts, in the kind's own words: a translated text with its plural
    # form for `count`, holding a "%(count)s" the page fills in.
    def created_text(self, count) -> str:
        raise NotImplementedError

    def updated_text(self, count) -> str | None:
        """None for the kinds that never update a record."""
        return None

    # The steps; each kind implements them.
    def clean(self, cells, *, batch) -> CleanRow:
        raise NotImplementedError

    def check(self, cleaned, *, batch) -> None:
        """Add to a chunk's clean rows (in file order) the errors one row cannot tell by itself
        and the run would find: against the database and the file's earlier rows (those of
        earlier chunks are the batch's ImportRows already written, with their values)."""

    def dump(self, values) -> dict:
        """A clean row's values as JSON for ImportRow.values (dates as ISO text)."""
        return values

    def load(self, values) -> dict:
        """ImportRow.values back into the values `clean` made."""
        return values

    def group_key(self, clean: CleanRow) -> str:
        return ""

    def match(self, rows, cleaned, *, batch) -> None:
        """Set `match`, `match_reason` and the default `action` on a chunk of new ImportRows."""

    def run(self, rows, *, batch) -> None:
        """Apply a chunk of ImportRows (ordered by number), setting each one's outcome."""
        raise NotImplementedError

    def undo(self, batch) -> None:
        """Remove what the batch did; ValidationError if something touched it since."""
        raise NotImplementedError


def model_errors(error: ValidationError, prefix=""):
    """A model's full_clean() errors keyed by the import's field names."""
    if not hasattr(error, "error_dict"):
        return {"__all__": " ".join(error.messages)}
    return {
        (f"{prefix}{name}" if name != "__all__" else name): " ".join(
            " ".join(e.messages) for e in errors
        )
        for name, errors in error.error_dict.items()
    }


def undo_refused():
    return _(
        "This import cannot be undone: some of its records were changed since, or have new records."
    )


def touched_since(model, ids, since) -> bool:
    """Whether the audit recorded a change to any of the `model` records `ids` (a list or a
    subquery of primary keys) after `since`."""
    from core.models import AuditEvent

    return AuditEvent.objects.filter(
        model=model._meta.label_lower, object_id__in=ids, at__gt=since
    ).exists()
