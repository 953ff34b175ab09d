"""odibi_de_v2 projects: ``manifest.json`` plus TransformationRegistry rows, as the provider's project tree.

Each layer of ``layer_order`` becomes a pipeline with that layer; each registry row of the project becomes a
node calling its registered function the seed's way, ``fn(context, inputs, outputs, **constants)``
(``constants.engine`` picks the node's engine); the frame it returns is written to
``row_results/<layer>/<node>.parquet``. A layer runs after the layers it ``depends_on`` (default: the
one before it), a row after the rows of the earlier ``step`` in its layer and after the rows whose
``outputs`` it lists in ``inputs``. Rows of the ``default_env`` (or with no environment) make the project;
each other environment's rows replace its pipelines in that ``environments`` overlay. The rows come from
``TransformationRegistry.json``/``.csv`` next to the manifest, or ``"registry": "file"`` /
``{"url": ..., "table": ...}`` (a SQL table, read with bound parameters).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._suggest import did_you_mean, known
from ..errors import Problem, Severity
from ..manifest.yaml_source import LocDict, LocList
from ._tree import Collector, Row, check_fields, flag, json_field, located, module_ref, slug
from .result import Imported
from .sources import csv_rows, json_rows, sql_rows

MANIFEST = "manifest.json"
REGISTRY_FILES = ("TransformationRegistry.json", "TransformationRegistry.csv", "transformation_registry.json",
                  "transformation_registry.csv")
MANIFEST_KEYS = ("project_name", "project_type", "description", "layer_order", "layers", "environments",
                 "default_env", "default_engine", "transformation_modules", "owner", "tags", "registry")
LAYER_KEYS = ("depends_on", "cache_tables", "max_workers", "default_engine", "description")
ROW_FIELDS = ("transformation_id", "project", "environment", "layer", "step", "enabled", "module", "function",
              "inputs", "constants", "outputs", "description")
SEED_PARAMS = ("inputs", "outputs")
# the frame each row's function returns is kept here (Parquet per node), so hosts that run layers apart
# (Airflow: a DAG per layer) hand it on like any written dataset; the function still writes its own outputs
RESULTS = "row_results"


def is_manifest(path: Path) -> bool:
    """A ``manifest.json``, or a JSON object with ``project_name`` and ``layer_order``."""
    if path.name == MANIFEST:
        return True
    if path.suffix != ".json":
        return False
    head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    return head.lstrip().startswith("{") and '"project_name"' in head and '"layer_order"' in head


def load(path: Path, sink: Collector) -> Imported | None:
    """The project tree of the manifest at ``path`` and its registry rows."""
    text = path.read_text(encoding="utf-8")
    lines = _key_lines(text)
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        sink.add(Problem(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno, code="import"))
        return None
    if not isinstance(manifest, dict):
        sink.add(Problem("manifest.json must be a JSON object", file=str(path), line=1, code="import"))
        return None

    def line_of(key: str) -> int | None:
        """The line of a dotted key: each part searched after the line of the part before it."""
        number = 0
        for part in key.split("."):
            found = next((n for n, text in enumerate(text_lines, 1) if n > number and f'"{part}"' in text), None)
            if found is None:
                return number or None
            number = found
        return number

    def at(key: str, message: str, hint: str | None = None, severity: Severity = "error") -> None:
        sink.add(Problem(message, path=key, file=str(path), line=line_of(key), hint=hint, code="import",
                         severity=severity))

    text_lines = text.splitlines()

    for key in manifest:
        if key not in MANIFEST_KEYS:
            at(key, f"unknown manifest key '{key}'", did_you_mean(key, MANIFEST_KEYS) or f"known keys: "
               f"{known(MANIFEST_KEYS)}")
    if not isinstance(manifest.get("project_name"), str):
        at("project_name", "the manifest needs 'project_name' (a string)")
        return None
    layers = manifest.get("layers") or {}
    order = manifest.get("layer_order") or list(layers) if isinstance(layers, dict) else []
    envs = manifest.get("environments") or []
    shapes = (("layers", layers, dict, "an object of layer name -> settings"),
              ("layer_order", order, list, "a list of layer names, in the order they run"),
              ("environments", envs, (list, dict), "a list of environment names (or name -> overrides)"))
    wrong = [(key, what) for key, value, kind, what in shapes if not isinstance(value, kind)]
    wrong += [(f"layers.{name}", "an object of settings") for name, settings in (layers or {}).items()
              if isinstance(layers, dict) and not isinstance(settings, (dict, type(None)))]
    wrong += [(f"environments.{name}", "an object of overrides") for name, value in envs.items()
              if not isinstance(value, (dict, type(None)))] if isinstance(envs, dict) else []
    for key, what in wrong:
        at(key, f"'{key}' must be {what}")
    if wrong:
        return None
    if not order:
        at("layer_order", "the manifest needs 'layer_order' (the layers, in the order they run)")
        return None
    env_names = list(envs)
    default_env = manifest.get("default_env") or (env_names[0] if env_names else None)
    if env_names and default_env not in env_names:
        at("default_env", f"default_env '{default_env}' is not one of the environments",
           did_you_mean(str(default_env), env_names) or f"environments: {known(env_names)}")
    for layer, settings in layers.items():
        for key in (settings or {}):
            if key not in LAYER_KEYS:
                at(f"layers.{layer}.{key}", f"unknown layer setting '{key}'",
                   did_you_mean(key, LAYER_KEYS) or f"known settings: {known(LAYER_KEYS)}")
        for key, why in (("cache_tables", "Spark table caching between layers"),
                         ("max_workers", "a per-layer worker limit")):
            if key in (settings or {}):
                at(f"layers.{layer}.{key}", f"layer '{layer}': '{key}' ({why}) is not applied here",
                   "remove it; run_project(workers=N) / --workers limits parallel nodes", "warning")
    rows, files, cacheable = _registry_rows(path, manifest.get("registry"), manifest["project_name"], sink, lines)
    if rows is None:
        return None
    mine = [r for r in rows if _same_project(r.values.get("project"), manifest["project_name"])]
    loc = (str(path), 1)
    for row in mine:
        check_fields(row, ROW_FIELDS, sink)
        env = row.values.get("environment")
        if env and env_names and env not in env_names:
            sink.add(row.problem(f"environment '{env}' is not in the manifest's environments", "environment",
                                 hint=did_you_mean(str(env), env_names) or f"environments: {known(env_names)}"))
    named = [*(manifest.get("transformation_modules") or []), *(r.values["module"] for r in mine
                                                                  if r.values.get("module"))]
    modules = list(dict.fromkeys(module_ref(str(m), path.parent) for m in named))
    data = LocDict(origin=loc)
    values: dict[str, Any] = {
        "project": slug(manifest["project_name"]), "description": manifest.get("description")
        or manifest["project_name"], "owner": manifest.get("owner"), "engine": manifest.get("default_engine"),
        "transforms": modules, "connections": {RESULTS: {"type": "local", "base_path": RESULTS}}}
    for key, value in values.items():
        if value:
            data[key] = located(value, (str(path), lines.get(key, 1)))
            data.locs[key] = (str(path), lines.get(key, 1))
    tags = [*(manifest.get("tags") or []), *([manifest["project_type"]] if manifest.get("project_type") else [])]
    build = _Builder(path, order, layers, tags, lines, sink)
    base = [r for r in mine if default_env is None or r.values.get("environment") in (None, "", default_env)]
    data["pipelines"] = build.pipelines(base)
    data.locs["pipelines"] = (str(path), lines.get("layer_order", 1))
    overlays = LocDict(origin=loc)
    for env in env_names:
        overlay = (envs[env] or {}) if isinstance(envs, dict) else {}
        env_rows = [r for r in mine if not r.values.get("environment") or r.values.get("environment") == env]
        overlays[env] = located(overlay, (str(path), lines.get(env, 1)))
        if not env_rows:
            at(f"environments.{env}", f"environment '{env}' has no registry rows of this project: it runs nothing",
               "add its rows, or remove the environment", "warning")
        if env != default_env:
            overlays[env]["pipelines"] = build.pipelines(env_rows)
            overlays[env].locs["pipelines"] = (str(path), lines.get("environments", 1))
        overlays.locs[env] = (str(path), lines.get(env, 1))
    if overlays:
        data["environments"] = overlays
        data.locs["environments"] = (str(path), lines.get("environments", 1))
    return Imported(data, (path, *files), cacheable)


def _same_project(value: Any, name: str) -> bool:
    return value in (None, "") or str(value).strip().lower() == name.strip().lower() or slug(value) == slug(name)


def _key_lines(text: str) -> dict[str, int]:
    """The line of each JSON key's first occurrence (how a manifest problem is located)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for key in re.findall(r'"([^"\\]+)"\s*:', line):
            lines.setdefault(key, number)
    return lines


def _registry_rows(manifest: Path, source: Any, project: str, sink: Collector,
                   lines: dict[str, int]) -> tuple[list[Row] | None, tuple[Path, ...], bool]:
    """The registry rows, the files they came from and whether a cached Plan may stand for them."""
    where = (str(manifest), lines.get("registry"))
    if isinstance(source, Mapping):
        unknown = [k for k in source if k not in ("url", "table", "schema")]
        if unknown or not source.get("url"):
            sink.add(Problem("'registry' as a SQL table is {\"url\": ..., \"table\": ..., \"schema\": ...}",
                             path="registry", file=where[0], line=where[1], code="import",
                             hint=f"unknown: {', '.join(unknown)}" if unknown else "give the SQLAlchemy 'url'"))
            return None, (), True
        try:
            rows = sql_rows(str(source["url"]), str(source.get("table") or "TransformationRegistry"),
                            {"project": project}, schema=source.get("schema"), project_dir=manifest.parent)
        except Exception as exc:  # noqa: BLE001 (a connection or table problem becomes a located one)
            from ..connections.masking import mask_secrets

            sink.add(Problem(f"cannot read the registry table: {type(exc).__name__}: {mask_secrets(str(exc))}",
                             path="registry",
                             file=where[0], line=where[1], code="import",
                             hint="check the url (a SQLAlchemy URL) and the table name"))
            return None, (), False
        return rows, (), False
    candidates = [manifest.parent / str(source)] if source else [manifest.parent / n for n in REGISTRY_FILES]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        sink.add(Problem(f"no TransformationRegistry rows for {manifest.name}", path="registry", file=where[0],
                         line=where[1] or 1, code="import",
                         hint=f"put {' or '.join(REGISTRY_FILES[:2])} next to it, or set \"registry\": a file or "
                              "{\"url\": ..., \"table\": ...}"))
        return None, (), True
    rows = csv_rows(found) if found.suffix == ".csv" else json_rows(found, sink)
    return rows, (found,), True


class _Builder:
    """Pipelines (one per layer) from a set of rows."""

    def __init__(self, manifest: Path, order: list[str], layers: Mapping[str, Any], tags: list[str],
                 lines: dict[str, int], sink: Collector) -> None:
        self.manifest, self.order, self.layers, self.tags, self.lines, self.sink = \
            manifest, order, layers, tags, lines, sink

    def pipelines(self, rows: list[Row]) -> LocList:
        by_layer: dict[str, list[tuple[int, Row]]] = {layer: [] for layer in self.order}
        for row in rows:
            layer = str(row.values.get("layer") or "")
            if layer not in by_layer:
                self.sink.add(row.problem(f"layer '{layer}' is not in the manifest's layer_order", "layer",
                                          hint=did_you_mean(layer, self.order) or f"layers: {known(self.order)}"))
                continue
            by_layer[layer].append((self._step(row), row))
        producers = {table: (layer, row) for layer, items in by_layer.items() for _, row in items
                     if flag(row, "enabled", Collector()) for table in _tables(row.values.get("outputs"))}
        out = LocList(origin=(str(self.manifest), self.lines.get("layer_order", 1)))
        last_group: dict[str, list[str]] = {}
        for index, layer in enumerate(self.order):
            items = sorted(by_layer[layer], key=lambda item: item[0])
            nodes = LocList()
            groups: list[list[str]] = []
            previous_step: int | None = None
            settings = self.layers.get(layer) or {}
            before = settings.get("depends_on", self.order[index - 1:index])
            upstream = [ref for name in before for ref in last_group.get(name, [])]
            for step, row in items:
                node = self._node(row, layer, producers)
                if step != previous_step:
                    if groups and groups[-1]:
                        upstream = [f"{slug(layer)}.{n}" for n in groups[-1]]
                    groups.append([])
                    previous_step = step
                depends = list(dict.fromkeys([*upstream, *node.pop("depends_on", [])]))
                if depends:
                    node["depends_on"] = located(depends, row.loc)
                    node.locs["depends_on"] = row.loc
                if node.get("enabled", True):
                    groups[-1].append(node["name"])
                nodes.append(node)
                nodes.locs.append(row.loc)
            enabled = [g for g in groups if g]
            last_group[layer] = [f"{slug(layer)}.{n}" for n in enabled[-1]] if enabled else upstream
            if not nodes:
                continue
            pipeline = LocDict(origin=(str(self.manifest), self.lines.get(layer, 1)))
            values = {"pipeline": slug(layer), "layer": slug(layer), "description": settings.get("description"),
                      "engine": settings.get("default_engine"), "tags": self.tags}
            for key, value in values.items():
                if value:
                    pipeline[key] = located(value, pipeline.origin or ("", 1))
                    pipeline.locs[key] = pipeline.origin or ("", 1)
            pipeline["nodes"] = nodes
            pipeline.locs["nodes"] = pipeline.origin or ("", 1)
            out.append(pipeline)
            out.locs.append(pipeline.origin)
        return out

    def _step(self, row: Row) -> int:
        value = row.values.get("step", 0)
        try:
            return int(value)
        except (TypeError, ValueError):
            self.sink.add(row.problem(f"'step' must be a whole number, got {value!r}", "step"))
            return 0

    def _node(self, row: Row, layer: str, producers: Mapping[str, tuple[str, Row]]) -> LocDict:
        values = row.values
        function = values.get("function")
        if not function:
            self.sink.add(row.problem("the row has no 'function'", "function",
                                      hint="name the registered function the row runs"))
        inputs = json_field(row, "inputs", self.sink, [])
        outputs = json_field(row, "outputs", self.sink, [])
        constants = json_field(row, "constants", self.sink, {})
        if not isinstance(constants, dict):
            self.sink.add(row.problem("'constants' must be a JSON object", "constants"))
            constants = {}
        constants = dict(constants)
        engine = constants.pop("engine", None)
        for name in SEED_PARAMS:
            if name in constants:
                self.sink.add(row.problem(f"constants.{name} collides with the row's own '{name}'", "constants",
                                          hint=f"rename the constant; the function receives the row's {name}"))
        name = _node_name(row)
        depends = []
        for table in _tables(inputs):
            if table in producers:
                producer_layer, producer = producers[table]
                ref = f"{slug(producer_layer)}.{_node_name(producer)}"
                if ref != f"{slug(layer)}.{name}":
                    depends.append(ref)
        node: dict[str, Any] = {
            "name": name,
            "description": values.get("description"), "engine": engine,
            "enabled": flag(row, "enabled", self.sink),
            "transform": {"steps": [{"function": str(function or ""),
                                     "params": {"inputs": inputs, "outputs": outputs, **constants}}]},
            "depends_on": depends,
            "write": {"connection": RESULTS, "format": "parquet", "path": f"{slug(layer)}/{name}.parquet"}}
        tree = located({k: v for k, v in node.items() if v is not None and v != "" and v != []}, row.loc)
        if tree["enabled"] is True:
            del tree["enabled"]
        return tree


def _node_name(row: Row) -> str:
    return slug(str(row.values.get("transformation_id") or row.values.get("function") or "unnamed"))


def _tables(value: Any) -> list[str]:
    """The table names in a row's inputs/outputs: strings, or objects' ``table``/``path``/``name``."""
    items = value if isinstance(value, list) else [value] if value else []
    names = []
    for item in items:
        if isinstance(item, Mapping):
            item = item.get("table") or item.get("path") or item.get("name")
        if isinstance(item, str):
            names.append(item)
    return names
