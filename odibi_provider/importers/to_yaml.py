"""Write an imported project as the provider's YAML, each pipeline and node under a comment naming the source
row it came from (``# from TransformationRegistry.json:12``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..manifest.yaml_source import LocDict, LocList
from .result import Imported


def to_yaml(imported: Imported, source: Path) -> str:
    """The YAML text of ``imported`` (paths in it stay relative to ``source``'s folder)."""
    text = yaml.safe_dump(_plain(imported.data), sort_keys=False, allow_unicode=True, width=110)
    lines = text.splitlines()
    out = [f"# imported from {source.name} by `odibi-provider import`; comments name the source rows"]
    marks = list(_marks(imported.data))
    cursor = 0
    for line in lines:
        if cursor < len(marks):
            key, value, loc = marks[cursor]
            match = re.match(rf"^(\s*)- {key}: {re.escape(yaml.safe_dump(value).splitlines()[0])}$", line)
            if match:
                out.append(f"{match.group(1)}# from {_short(loc[0], source)}:{loc[1]}")
                cursor += 1
        out.append(line)
    return "\n".join(out) + "\n"


def _marks(data: Any) -> Any:
    """(key, value, location) of every pipeline and node, in the order the dump writes them."""
    if isinstance(data, LocDict):
        for key, value in data.items():
            if key in ("pipelines", "nodes") and isinstance(value, LocList):
                for item, loc in zip(value, value.locs, strict=True):
                    first = next(iter(item.items()), None) if isinstance(item, dict) else None
                    if first is not None and loc is not None:
                        yield first[0], first[1], loc
                    yield from _marks(item)
            else:
                yield from _marks(value)


def _short(file: str, source: Path) -> str:
    path = Path(file)
    return path.name if path.parent == source.parent else file


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def convert(path: Path, target: Path | None = None, *, force: bool = False) -> tuple[Path, list[Any]]:
    """Write the seed project at ``path`` as YAML to ``target`` (default: ``odibi.yaml`` beside it); return it
    and the warnings (what the YAML does not carry over). Every problem of the source is raised (located)
    before anything is written; an existing ``target`` is kept unless ``force``."""
    import os

    from .. import importers
    from ..errors import Problem, ProjectError
    from ..manifest.project_file import find_project_file

    source = find_project_file(path)
    fmt = importers.detect(source)
    if fmt is None:
        raise ProjectError([Problem("not an odibi_de_v2 manifest or an ODIBI CORE step list", file=str(source),
                                    code="import", hint="import reads manifest.json (with its registry rows) "
                                    "or a step list (.json, .csv, .db)")])
    problems: list[Problem] = []
    imported = importers.load(source, fmt, problems)
    if imported is None or any(p.severity == "error" for p in problems):
        raise ProjectError(problems)
    target = (target or source.parent / "odibi.yaml").resolve()
    if target.exists() and not force:
        raise ProjectError([Problem("the target exists", file=str(target), code="import",
                                    hint="choose another --to, or pass --force to replace it")])
    if target.parent != source.parent:
        problems.append(Problem("paths in the project are relative to the source's folder", file=str(target),
                                severity="warning", code="import",
                                hint=f"keep the YAML in {source.parent}, or adjust base paths and transforms"))
    staged = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    staged.write_text(to_yaml(imported, source), encoding="utf-8")
    os.replace(staged, target)
    return target, problems
