"""What ``validate`` can know without running a node, each reported at its YAML location: paths that leave
their connection, SQL steps that are not one query or name a table the node does not have, built-in params
of the wrong type (``transformer:`` and ``function:`` steps alike), and read options the node's engine does
not know for the format.

Standard library only (SQL is checked with :mod:`odibi_provider.manifest.sql_text`, not an engine), so a
compile on the Airflow parse path stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from .._suggest import did_you_mean, known
from ..engines.sql.checks import PARAM_SHAPES as CHECKS_SHAPES
from ..engines.sql.deletes import PARAM_SHAPES as DELETES_SHAPES
from ..engines.sql.library_core import PARAM_SHAPES as CORE_SHAPES
from ..engines.sql.library_relational import PARAM_SHAPES as RELATIONAL_SHAPES
from ..errors import OdibiError
from ..manifest.models import NodeConfig
from ..manifest.sql_text import one_query, table_names
from .model import ConnectionSpec, PlanNode, StepSpec

Report = Callable[..., None]
FILE_CONNECTIONS = ("local", "s3", "azure_blob", "azure_adls", "gcs")


class Entry(Protocol):
    path: tuple[Any, ...]
    config: NodeConfig
    node: PlanNode


def check_static(entries: Iterable[Entry], connections: Mapping[str, ConnectionSpec], project_dir: Path,
                 report: Report) -> None:
    """Report every statically known problem of ``entries`` (nodes with resolved inputs) through ``report``."""
    entries = list(entries)
    names = {e.node.id: e.node.name for e in entries}
    paths = _PathCheck(connections, project_dir, report)
    for entry in entries:
        paths.check(entry)
        _check_sql(entry, names, report)
        _check_params(entry, report)
        _check_read_options(entry, report)


class _PathCheck:
    """Resolves read/write/quarantine paths through the connection itself (one rule for validate and run)."""

    def __init__(self, connections: Mapping[str, ConnectionSpec], project_dir: Path, report: Report) -> None:
        self.connections, self.project_dir, self.report = connections, project_dir, report
        self.opened: dict[str, Any] = {}

    def check(self, entry: Entry) -> None:
        node = entry.node
        for spec, where in ((node.read, ("read",)), (node.write, ("write",)),
                            (node.quarantine, ("validation", "quarantine"))):
            if spec is None or not spec.path or (conn := self._open(spec.connection)) is None:
                continue
            try:
                conn.resolve(spec.path)
            except OdibiError as exc:
                self.report(str(exc), (*entry.path, *where, "path"), code="path", node=node.id,
                            hint="keep the path inside the connection, or add a connection for that location")

    def _open(self, name: str) -> Any:
        if name not in self.opened:
            from ..connections import open_connection
            from ..manifest.substitution import Environment

            spec = self.connections.get(name)
            try:
                self.opened[name] = (open_connection(spec, self.project_dir, Environment.for_project(
                    self.project_dir)) if spec is not None and spec.type in FILE_CONNECTIONS else None)
            except Exception:  # noqa: BLE001 (a secret not set here: the run checks the path when it opens)
                self.opened[name] = None
        return self.opened[name]


def _steps(entry: Entry) -> Iterator[tuple[int, Any, StepSpec]]:
    """Each ``transform.steps`` item with its index and compiled step (a node's ``transformer:``, when it
    compiled to a step, comes first in ``node.steps``)."""
    steps = entry.config.transform.steps if entry.config.transform else []
    offset = len(entry.node.steps) - len(steps)
    if offset >= 0:
        yield from ((index, raw, entry.node.steps[index + offset]) for index, raw in enumerate(steps))


def _check_sql(entry: Entry, names: Mapping[str, str], report: Report) -> None:
    node = entry.node
    available = {"df": "df", **{n.lower(): n for n in node.inputs},
                 **{names[u].lower(): names[u] for u in node.depends_on if u in names}}
    for index, raw, step in _steps(entry):
        if step.kind != "sql":
            continue
        path = (*entry.path, "transform", "steps", index, *(() if isinstance(raw, str) else ("sql",)))
        tokens, problem = one_query(step.sql or "")
        if problem:
            report(problem, path, code="sql", node=node.id,
                   hint="a SQL step is one SELECT over df, its inputs and upstream nodes (use WITH for "
                        "intermediate results)")
            continue
        for table in table_names(tokens):
            if table.lower() not in available:
                report(f"the SQL reads '{table}', which is not df, an input or an upstream node of this node",
                       path, code="sql", node=node.id,
                       hint=did_you_mean(table, list(available.values()))
                       or f"tables available: {known(list(available.values()))}; add the node to depends_on "
                          "or inputs to read it")


def _names(p: Any, key: str) -> None:
    p.names(key)


def _check_ascending(p: Any, key: str) -> None:
    value = p.params[key]
    if not isinstance(value, bool) and not (isinstance(value, list) and all(isinstance(v, bool) for v in value)):
        p.fail(key, f"expected true/false or a list of true/false values, got {value!r}")


def _check_how(p: Any, key: str) -> None:
    from ..engines.sql.transformers import JOINS

    if p.params[key] not in (*JOINS, "cross"):
        p.fail(key, f"expected one of {', '.join(JOINS)}, cross, got {p.params[key]!r}")


PARAM_SHAPES: dict[str, dict[str, Callable[[Any, str], object]]] = {
    "filter_rows": {"condition": lambda p, k: p.text(k)},
    "derive_columns": {"derivations": lambda p, k: p.mapping(k)},
    "cast_columns": {"casts": lambda p, k: p.mapping(k)},
    "rename_columns": {"mapping": lambda p, k: p.mapping(k)},
    "select_columns": {"columns": _names},
    "drop_columns": {"columns": _names},
    "deduplicate": {"keys": _names,
                    "order_by": lambda p, k: p.names(k) if isinstance(p.params[k], list) else p.text(k)},
    "join": {"right_dataset": lambda p, k: p.text(k), "on": _names, "how": _check_how, "select": _names,
             "prefix": lambda p, k: p.text(k)},
    "union": {"datasets": _names, "by_name": lambda p, k: p.flag(k, True), "distinct": lambda p, k: p.flag(k, True)},
    "aggregate": {"group_by": lambda p, k: p.names(k, allow_empty=True), "aggregations": lambda p, k: p.mapping(k)},
    "sort": {"by": _names, "ascending": _check_ascending},
    "fill_nulls": {"values": lambda p, k: p.mapping(k, values=None)},
}
"""Each built-in's param checks, run on the shapes (not the columns) with the engines' own
:class:`~odibi_provider.engines.params.Params` accessors, so validate and the run say the same."""
PARAM_SHAPES.update(CORE_SHAPES)  # Odibi's SQL core set
PARAM_SHAPES.update(RELATIONAL_SHAPES)  # Odibi's relational and advanced set
PARAM_SHAPES.update(DELETES_SHAPES)  # detect_deletes (run by runner/deletes.py)
PARAM_SHAPES.update(CHECKS_SHAPES)  # cross_check (run by runner/checks.py)


def _check_params(entry: Entry, report: Report) -> None:
    """The params of the node's ``transformer:`` and of each library ``function:`` step (a project function
    of the same name replaces the library one and binds to its own signature instead)."""
    if entry.config.transformer:
        _check_shapes(entry.config.transformer, entry.config.params, (*entry.path, "params"), entry, report)
    for index, raw, step in _steps(entry):
        if step.kind == "transformer" and step.name:
            _check_shapes(step.name, raw.params, (*entry.path, "transform", "steps", index, "params"), entry,
                          report)


def _check_shapes(name: str, params: Mapping[str, Any], path: tuple[Any, ...], entry: Entry,
                  report: Report) -> None:
    if name not in PARAM_SHAPES:
        return
    from ..engines.params import Params

    checker = Params(name, dict(params), [], {})
    for key, check in PARAM_SHAPES[name].items():
        if params.get(key) is None:
            continue  # missing required params are reported when binding to the signature
        try:
            check(checker, key)
        except OdibiError as exc:
            report(str(exc), (*path, key), code="params", node=entry.node.id)


def _check_read_options(entry: Entry, report: Report) -> None:
    read = entry.node.read
    if read is None:
        return
    from ..engines.options import EMBEDDED, SPARK

    try:
        (SPARK if entry.node.engine == "spark" else EMBEDDED).check("read", read.format, read.options, "read")
    except OdibiError as exc:
        key, given = getattr(exc, "key", None), entry.config.read
        block = next((b for b in ("options", "archive_options") if given and key in getattr(given, b)), None)
        where = (block, key) if block else ("options" if read.options else "format",)  # the key's own line
        report(str(exc), (*entry.path, "read", *where), code="options", node=entry.node.id)
