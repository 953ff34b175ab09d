"""ODIBI CORE Step lists (JSON, CSV or a SQLite table) as the provider's project tree: one pipeline.

A step's kind is its ``layer`` (or ``type``): ``connect`` defines a connection (a SQLAlchemy URL, or a folder
for a local one); ``ingest`` reads ``value`` (format from ``params.source_type`` or the extension, other
params are read options); ``transform`` runs ``value`` as SQL (``type: sql``; its ``inputs`` name the
relations) or calls the registered function named by ``value`` (``type: function``; a dotted module prefix
is imported); ``store``/``publish`` write their input to ``value`` (``params.mode``, ``params.source_type``).
Edges go from the step that ``outputs`` a dataset key to each step that lists it in ``inputs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._suggest import did_you_mean, known
from ..errors import Problem
from ..manifest.yaml_source import LocDict, LocList
from ._tree import Collector, Row, check_fields, json_field, located, module_ref, slug
from .result import Imported
from .sources import csv_rows, json_rows, sqlite_rows, sqlite_tables

FIELDS = ("layer", "name", "type", "engine", "value", "params", "inputs", "outputs", "metadata")
KINDS = ("connect", "ingest", "transform", "store", "publish")
TYPES = ("config_op", "sql", "function", *KINDS)
ENGINES = {"pandas": "pandas", "spark": "spark"}
METADATA_KEYS = ("description", "tags", "owner")
FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet", ".xlsx": "excel"}
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
TABLE = "steps"
LOCAL = "local"


def is_step_list(path: Path) -> bool:
    """A JSON list of objects with step fields, a CSV whose header has them, or a SQLite file with steps."""
    if path.suffix in SQLITE_SUFFIXES:
        return any({"layer", "name", "value"} <= set(cols) for _, cols in sqlite_tables(path))
    head = path.read_text(encoding="utf-8", errors="replace")[:4096] if path.suffix in (".json", ".csv") else ""
    if path.suffix == ".json":
        return head.lstrip().startswith("[") and all(f'"{k}"' in head for k in ("layer", "name"))
    first = head.splitlines()[0] if head else ""
    return {"layer", "name", "value"} <= {c.strip().strip('"') for c in first.split(",")}


def load(path: Path, sink: Collector) -> Imported | None:
    """The project tree of the Step list at ``path``."""
    if path.suffix in SQLITE_SUFFIXES:
        tables = [name for name, cols in sqlite_tables(path) if {"layer", "name", "value"} <= set(cols)]
        table = TABLE if TABLE in tables else tables[0] if len(tables) == 1 else None
        if table is None:
            sink.add(Problem(f"several step tables in {path.name}: {', '.join(tables)}", file=str(path),
                             code="import", hint=f"name the one to run '{TABLE}'"))
            return None
        rows = sqlite_rows(path, table, sink, what="step")
    elif path.suffix == ".csv":
        rows = csv_rows(path, what="step")
    else:
        rows = json_rows(path, sink, what="step")
    if not rows:
        sink.add(Problem("the step list is empty", file=str(path), line=1, code="import",
                         hint="add at least an ingest step"))
        return None
    return Imported(_Builder(path, sink).project(rows), (path,))


class _Builder:
    def __init__(self, path: Path, sink: Collector) -> None:
        self.path, self.sink = path, sink
        self.pipeline = slug(path.stem)
        self.connections: dict[str, Any] = {LOCAL: {"type": "local", "base_path": "."}}
        self.modules: list[str] = []

    def project(self, rows: list[Row]) -> LocDict:
        origin = (str(self.path), 1)
        producers: dict[str, Row] = {}
        for row in rows:
            check_fields(row, FIELDS, self.sink)
            for key in self._outputs(row).values():
                if key in producers:
                    self.sink.add(row.problem(f"dataset key '{key}' is also output by step "
                                              f"'{producers[key].values.get('name')}' (line {producers[key].line})",
                                              "outputs", hint="give each output its own key"))
                producers[key] = row
        nodes = LocList(origin=origin)
        for row in rows:
            node = self._node(row, producers)
            if node is not None:
                nodes.append(located(node, row.loc))
                nodes.locs.append(row.loc)
        pipeline = located({"pipeline": self.pipeline}, origin)
        pipeline["nodes"] = nodes
        pipeline.locs["nodes"] = origin
        data = located({"project": self.pipeline, "connections": self.connections}, origin)
        if self.modules:
            data["transforms"] = located(self.modules, origin)
            data.locs["transforms"] = origin
        data["pipelines"] = located([], origin)
        data["pipelines"].append(pipeline)
        data["pipelines"].locs.append(origin)
        return data

    def _kind(self, row: Row) -> str | None:
        layer, kind = str(row.values.get("layer") or ""), str(row.values.get("type") or "")
        if layer in KINDS:
            return layer
        if kind in KINDS:
            return kind
        self.sink.add(row.problem(f"the step's layer '{layer}' is not a step kind", "layer",
                                  hint=did_you_mean(layer, KINDS) or f"use one of {known(KINDS)}"))
        return None

    def _outputs(self, row: Row) -> dict[str, str]:
        """The step's ``outputs`` (port -> dataset key); anything else is reported at the row."""
        value = json_field(row, "outputs", self.sink, {})
        if not isinstance(value, dict):
            self.sink.add(row.problem("'outputs' must be a JSON object", "outputs", hint='e.g. {"data": "raw_data"}'))
            return {}
        return {str(k): str(v) for k, v in value.items()}

    def _node(self, row: Row, producers: Mapping[str, Row]) -> dict[str, Any] | None:
        values = row.values
        kind = self._kind(row)
        kind_type = str(values.get("type") or "config_op")
        if kind_type not in TYPES:
            self.sink.add(row.problem(f"unknown step type '{kind_type}'", "type",
                                      hint=did_you_mean(kind_type, TYPES) or f"types: {known(TYPES)}"))
        name = slug(values.get("name") or "")
        params = json_field(row, "params", self.sink, {})
        inputs = json_field(row, "inputs", self.sink, {})
        if not isinstance(params, dict) or not isinstance(inputs, dict):
            self.sink.add(row.problem("'params' and 'inputs' must be JSON objects", "params"))
            return None
        params = dict(params)
        value = str(values.get("value") or "")
        if kind == "connect":
            self.connections[name] = ({"type": "sql", "url": value} if "://" in value
                                      else {"type": "local", "base_path": value or "."})
            return None
        node: dict[str, Any] = {"name": name, **self._metadata(row)}
        engine = values.get("engine")
        if engine:
            if str(engine) not in ENGINES:
                self.sink.add(row.problem(f"unknown engine '{engine}'", "engine", hint=f"use {known(ENGINES)}"))
            else:
                node["engine"] = ENGINES[str(engine)]
        upstream = {alias: self._producer(row, key, producers) for alias, key in inputs.items()}
        if kind == "ingest":
            node["read"] = self._io(row, value, params, read=True)
        elif kind == "transform":
            node["inputs"] = {alias: f"${self.pipeline}.{ref}" for alias, ref in upstream.items() if ref}
            if kind_type not in ("sql", "function"):
                self.sink.add(row.problem(f"a transform step's type is 'sql' or 'function', got '{kind_type}'",
                                          "type", hint="'sql' runs value as a query, 'function' calls it"))
            if kind_type == "function":
                module, _, function = value.rpartition(".")
                module = module_ref(module, self.path.parent) if module else ""
                if module and module not in self.modules:
                    self.modules.append(module)
                node["transform"] = {"steps": [{"function": function, "params": params}]}
            else:
                node["transform"] = {"steps": [{"sql": value}]}
        elif kind in ("store", "publish"):
            refs = [ref for ref in upstream.values() if ref]
            if len(inputs) != 1:
                self.sink.add(row.problem(f"a {kind} step writes one input, got {len(inputs)}", "inputs",
                                          hint='write inputs as {"data": "<dataset key>"}'))
            node["depends_on"] = refs[:1]
            node["write"] = self._io(row, value, params, read=False)
        else:
            return None
        return node

    def _producer(self, row: Row, key: Any, producers: Mapping[str, Row]) -> str | None:
        producer = producers.get(str(key))
        if producer is None:
            self.sink.add(row.problem(f"no step outputs dataset key '{key}'", "inputs",
                                      hint=did_you_mean(str(key), producers) or f"outputs: {known(producers)}"))
            return None
        return slug(producer.values.get("name") or "")

    def _io(self, row: Row, value: str, params: dict[str, Any], *, read: bool) -> dict[str, Any]:
        connection = str(params.pop("connection", LOCAL))
        fmt = params.pop("source_type", None) or params.pop("format", None) or FORMATS.get(Path(value).suffix)
        if fmt == "sql":  # a connect step's database: a read's value is a query or a table, a write's a table
            query = read and value.lstrip().split(" ", 1)[0].upper() in ("SELECT", "WITH")
            sql: dict[str, Any] = {"connection": connection, "format": "sql", "query" if query else "table": value}
            if not read:
                sql["mode"] = params.pop("mode", "overwrite")
            return {**sql, **({"options": params} if params else {})}
        if "://" in value or value.startswith("/"):
            self.sink.add(row.problem(f"'{value}' is not a path relative to the step list's folder", "value",
                                      hint="keep data under the step list's folder, or define the storage as a "
                                           "connection in a project YAML"))
        if fmt is None:
            self.sink.add(row.problem(f"cannot tell the format of '{value}'", "params",
                                      hint='set params.source_type ("csv", "parquet", "delta", "json")'))
        out: dict[str, Any] = {"connection": connection, "format": fmt or "parquet", "path": value}
        if not read:
            out["mode"] = params.pop("mode", "overwrite")
            if "partition_by" in params:
                out["partition_by"] = params.pop("partition_by")
        if params:
            out["options"] = params
        return out

    def _metadata(self, row: Row) -> dict[str, Any]:
        metadata = json_field(row, "metadata", self.sink, {})
        if not isinstance(metadata, dict):
            self.sink.add(row.problem("'metadata' must be a JSON object", "metadata"))
            return {}
        for key in metadata:
            if key not in METADATA_KEYS:
                self.sink.add(row.problem(f"metadata '{key}' has no meaning here", "metadata",
                                          hint=f"keep {known(METADATA_KEYS)}; remove the others"))
        return {k: metadata[k] for k in METADATA_KEYS if metadata.get(k)}
