"""The registry of import kinds: each kind is one module here, registered by its key."""

from .base import CHUNK_SIZE, CleanRow, Field, ImportKind, undo_refused
from .contracts import ContractImport
from .customers import CustomerImport
from .finance import InvoiceImport, PaymentImport

_kinds: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    _kinds[kind.key] = kind
    return kind


def get(key) -> ImportKind | None:
    return _kinds.get(key)


def all_kinds() -> list[ImportKind]:
    return list(_kinds.values())


def choices():
    return [(kind.key, kind.label) for kind in all_kinds()]


register(CustomerImport())
register(ContractImport())
register(InvoiceImport())
register(PaymentImport())

__all__ = [
    "CHUNK_SIZE",
    "CleanRow",
    "Field",
    "ImportKind",
    "all_kinds",
    "choices",
    "get",
    "undo_refused",
]
