"""The built-in transformers' names and parameters, checked at compile time.

The engines implement them (``odibi_provider.engines``); this table lets the Plan bind ``params``
without importing an engine.
"""

from __future__ import annotations

from typing import NamedTuple

from ..engines.sql.checks import SIGNATURES as CHECKS_SIGNATURES
from ..engines.sql.deletes import SIGNATURES as DELETES_SIGNATURES
from ..engines.sql.library_core import SIGNATURES as CORE_SIGNATURES
from ..engines.sql.library_relational import SIGNATURES as RELATIONAL_SIGNATURES


class BuiltinSignature(NamedTuple):
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return self.required + self.optional


BUILTIN_TRANSFORMERS: dict[str, BuiltinSignature] = {
    "filter_rows": BuiltinSignature(("condition",)),
    "derive_columns": BuiltinSignature(("derivations",)),
    "cast_columns": BuiltinSignature(("casts",)),
    "rename_columns": BuiltinSignature(("mapping",)),
    "select_columns": BuiltinSignature(("columns",)),
    "drop_columns": BuiltinSignature(("columns",)),
    "deduplicate": BuiltinSignature(("keys",), ("order_by",)),
    "join": BuiltinSignature(("right_dataset",), ("on", "how", "select", "prefix")),
    "union": BuiltinSignature(("datasets",), ("by_name", "distinct")),
    "aggregate": BuiltinSignature(("group_by", "aggregations")),
    "sort": BuiltinSignature(("by",), ("ascending",)),
    "fill_nulls": BuiltinSignature(("values",)),
}
BUILTIN_TRANSFORMERS.update({name: BuiltinSignature(*sig) for name, sig in CORE_SIGNATURES.items()})
BUILTIN_TRANSFORMERS.update({name: BuiltinSignature(*sig) for name, sig in RELATIONAL_SIGNATURES.items()})
BUILTIN_TRANSFORMERS.update({name: BuiltinSignature(*sig) for name, sig in DELETES_SIGNATURES.items()})
BUILTIN_TRANSFORMERS.update({name: BuiltinSignature(*sig) for name, sig in CHECKS_SIGNATURES.items()})
