"""Odibi's Delta catalog connections (``type: delta`` with ``catalog``/``schema``) in the Plan.

Table ``T`` of catalog ``C``, schema ``S`` is the Delta table at ``<root>/C/S/T``; a read or write names it
as ``table: T`` (or ``S.T``, ``C.S.T``), and the Plan carries it as that relative path, so dataset edges,
both engines and every host address it like any other Delta table. The root is the connection's ``path``
(Odibi's path-based form), else ``$ODIBI_PROVIDER_CATALOG_DIR`` when the connection opens, else the
``warehouse`` folder of the project's local system store (``default_root``, filled in here; ``.odibi/warehouse``
when the system store is on the catalog connection itself). As in Odibi, a read/write ``path`` that is a bare
name (``path: fact_orders``) names a table of the catalog; ``story``/``system`` on a catalog connection are
folders under its root.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from .frozen import FrozenMap
from .model import ConnectionSpec

CATALOG_TYPE = "delta"
_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE_NAME = re.compile(r"^`?[A-Za-z_][A-Za-z0-9_]*`?(\.`?[A-Za-z_][A-Za-z0-9_]*`?){0,2}$")


def catalog_table_path(spec: ConnectionSpec, table: str) -> str:
    """``C/S/T`` for ``table`` (``T``, ``S.T`` or ``C.S.T``, backticks allowed). Raises ValueError saying why
    a name cannot be a table of this connection's catalog."""
    parts = [p.strip().strip("`") for p in str(table).split(".")]
    catalog, schema = str(spec.options["catalog"]), str(spec.options.get("schema", "default"))
    if len(parts) > 3 or not all(_PART.match(p) for p in parts):
        raise ValueError(f"table '{table}' is not a name of the form table, schema.table or catalog.schema.table")
    if len(parts) == 3 and parts[0] != catalog:
        raise ValueError(f"table '{table}' is in catalog '{parts[0]}', but connection '{spec.name}' is catalog "
                         f"'{catalog}'; use a connection for that catalog")
    return "/".join([catalog, *([schema] if len(parts) == 1 else parts[-2:-1]), parts[-1]])


def with_default_roots(connections: Mapping[str, ConnectionSpec], system_connection: str | None,
                       system_path: str) -> dict[str, ConnectionSpec]:
    """``connections`` with each catalog connection's ``default_root``: the ``warehouse`` folder of a local
    system store (relative to the project folder); none when the system store is on an object store."""
    system = connections.get(system_connection or "")
    if system is not None and system.type == CATALOG_TYPE:  # Odibi docs keep story/system on the catalog itself
        base = posixpath.join(".odibi", "warehouse")
    elif system is not None and system.type != "local":
        base = None
    else:
        base = posixpath.join(str(system.options.get("base_path", ".")) if system else ".", system_path, "warehouse")
    result = dict(connections)
    for name, spec in connections.items():
        if spec.type == CATALOG_TYPE and base is not None and "path" not in spec.options:
            result[name] = ConnectionSpec(name=spec.name, type=spec.type, airflow_conn_id=spec.airflow_conn_id,
                                          options=FrozenMap({**spec.options, "default_root": base}))
    return result


def catalog_location(spec: ConnectionSpec, fmt: str, path: str | None, table: str | None, report: Any,
                     where: tuple[Any, ...]) -> tuple[str | None, str | None]:
    """``(path, table)`` of a read/write on ``spec``: for a catalog connection, its table as ``C/S/T``
    (problems reported at ``where``); any other connection's as given."""
    if spec.type != CATALOG_TYPE:
        return path, table
    if fmt != "delta":
        report(f"connection '{spec.name}' is a Delta catalog: its tables are read and written with format "
               f"'delta', not '{fmt}'", (*where, "format"), hint="set format: delta", code="reference")
    if table is None and path and _TABLE_NAME.match(path):
        table = path  # Odibi's catalog get_path: a bare name is a table of the connection's catalog.schema
    elif table is None:
        report(f"connection '{spec.name}' is a Delta catalog and addresses tables, not paths",
               (*where, "path"), hint="write table: <name> (or schema.table, catalog.schema.table)",
               code="reference")
        return path, table
    try:
        return catalog_table_path(spec, table), None
    except ValueError as exc:
        report(str(exc), (*where, "table"), hint="name a table as table, schema.table or catalog.schema.table")
        return path, table
