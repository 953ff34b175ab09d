"""Load an odibi project: read YAML safely, merge ``imports``, apply an ``environments`` overlay,
resolve substitutions and validate into a :class:`ProjectConfig`, collecting every problem found."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .._suggest import did_you_mean, known
from ..errors import Problem, ProjectError
from .diagnostics import node_id_at, problems_from_validation
from .models import ProjectConfig
from .project_file import find_project_file
from .substitution import SECRET_BLOCKS, Environment, Substituter
from .yaml_source import LocDict, LocList, format_path, load_yaml, locate


@dataclass(frozen=True, slots=True)
class LoadedProject:
    """A validated project with everything needed to locate problems and fingerprint its inputs."""

    config: ProjectConfig
    project_file: Path
    files: tuple[Path, ...]
    data: Any = field(repr=False)
    env: str | None = None
    env_refs: tuple[str, ...] = ()
    date_refs: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()
    cacheable: bool = True  # False when part of the project came from a database (an imported registry)

    @property
    def project_dir(self) -> Path:
        return self.project_file.parent

    def problem(self, message: str, path: tuple[Any, ...], **kwargs: Any) -> Problem:
        """A problem located at ``path`` in the merged YAML."""
        loc = locate(self.data, path)
        kwargs.setdefault("node", node_id_at(path, self.data))
        return Problem(message, path=format_path(path), file=loc[0] if loc else str(self.project_file),
                       line=loc[1] if loc else None, **kwargs)


def load_project(path: str | os.PathLike[str], *, env: str | None = None, vars: Mapping[str, Any] | None = None,
                 now: datetime | None = None) -> LoadedProject:
    """Load and validate a project; raise :class:`ProjectError` carrying every problem found."""
    project_file = find_project_file(path)
    problems: list[Problem] = []
    files: list[Path] = []
    imported = _import_seed(project_file, problems)
    data = imported.data if imported else _load_with_imports(project_file, problems, files, stack=())
    files.extend(imported.files if imported else ())
    if not isinstance(data, LocDict):
        if data is not None or not problems:
            problems.append(Problem("the project file must be a mapping with a 'project' key",
                                    file=str(project_file), line=1, code="yaml"))
        raise ProjectError(problems)
    _apply_environment(data, env, problems, project_file)
    substituter = Substituter(env=Environment.for_project(project_file.parent), variables={},
                              now=now or datetime.now(), file=str(project_file),
                              locate=lambda p: locate(data, p), node_at=lambda p: node_id_at(p, data))
    variables = substituter.walk(data.get("vars") or LocDict(), ("vars",))
    if not isinstance(variables, dict):
        variables = {}
    substituter.variables = {**variables, **(vars or {})}
    for key in [k for k in data if k not in ("vars", "environments")]:
        data[key] = substituter.walk(data[key], (key,), keep_env=key in SECRET_BLOCKS)
    problems.extend(substituter.problems)
    config: ProjectConfig | None = None
    try:
        config = ProjectConfig.model_validate({**data, "vars": substituter.variables})
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, data))
    errors = [p for p in problems if p.severity == "error"]
    if errors or config is None:
        raise ProjectError(problems)
    return LoadedProject(config=config, project_file=project_file, files=tuple(files), data=data, env=env,
                         env_refs=tuple(sorted(substituter.used_env)),
                         date_refs=tuple(sorted(substituter.used_dates)), warnings=tuple(problems),
                         cacheable=imported.cacheable if imported else True)


def _import_seed(project_file: Path, problems: list[Problem]) -> Any:
    """A seed-format project (odibi_de_v2 manifest, ODIBI CORE Step list) as a located tree, else None."""
    from .. import importers

    fmt = importers.detect(project_file)
    if fmt is None:
        return None
    imported = importers.load(project_file, fmt, problems)
    if imported is None:
        raise ProjectError(problems)
    return imported


def _load_with_imports(file: Path, problems: list[Problem], files: list[Path],
                       stack: tuple[Path, ...]) -> Any:
    files.append(file)
    data, found = load_yaml(file)
    problems.extend(found)
    if not isinstance(data, LocDict):
        return data
    imports = data.get("imports") or []
    if not isinstance(imports, list):
        problems.append(Problem("'imports' must be a list of YAML files", path="imports", file=str(file),
                                line=data.locs["imports"][1], code="imports"))
        return data
    for index, name in enumerate(imports):
        target = (file.parent / str(name)).resolve()
        loc = imports.locs[index] if isinstance(imports, LocList) else None
        line = loc[1] if loc else None
        if target in (*stack, file):
            chain = " -> ".join(p.name for p in (*stack, file, target))
            problems.append(Problem(f"import cycle: {chain}", path=f"imports[{index}]", file=str(file),
                                    line=line, code="imports", hint="remove one of the imports"))
            continue
        if not target.is_file():
            problems.append(Problem(f"imported file '{name}' not found", path=f"imports[{index}]",
                                    file=str(file), line=line, code="imports",
                                    hint=f"paths are relative to {file.parent}"))
            continue
        imported = _load_with_imports(target, problems, files, (*stack, file))
        if isinstance(imported, LocDict) and "pipeline" in imported:
            origin = imported.origin
            imported = LocDict({"pipelines": LocList([imported])}, origin=origin)
            if origin is not None:  # always set on a loaded mapping
                imported.locs["pipelines"] = origin
            imported["pipelines"].locs.append(origin)
        if isinstance(imported, LocDict):
            imported.pop("imports", None)
            _merge(data, imported)
        elif imported is not None:
            problems.append(Problem(f"imported file '{name}' must be a mapping", path=f"imports[{index}]",
                                    file=str(file), line=line, code="imports"))
    return data


def _merge(base: LocDict, extra: LocDict) -> None:
    """Merge an imported file into ``base``: mappings merge, lists append, ``base`` keeps its scalars."""
    for key, value in extra.items():
        if key not in base:
            base[key] = value
            base.locs[key] = extra.locs[key]
        elif isinstance(base[key], LocDict) and isinstance(value, LocDict):
            _merge(base[key], value)
        elif isinstance(base[key], LocList) and isinstance(value, LocList):
            base[key].extend(value)
            base[key].locs.extend(value.locs)


def _overlay(base: LocDict, overlay: LocDict) -> None:
    """Apply an environment overlay: mappings merge, everything else is replaced."""
    for key, value in overlay.items():
        if isinstance(base.get(key), LocDict) and isinstance(value, LocDict):
            _overlay(base[key], value)
        else:
            base[key] = value
            base.locs[key] = overlay.locs[key]


def _apply_environment(data: LocDict, env: str | None, problems: list[Problem], file: Path) -> None:
    environments = data.get("environments") or {}
    if env is None:
        return
    if not isinstance(environments, LocDict) or env not in environments:
        names = list(environments) if isinstance(environments, dict) else []
        hint = did_you_mean(env, names) or f"defined environments: {known(names)}"
        problems.append(Problem(f"unknown environment '{env}'", path="environments", file=str(file),
                                line=data.locs.get("environments", (None, None))[1], code="environment",
                                hint=hint))
        return
    overlay = environments[env]
    if not isinstance(overlay, LocDict):
        problems.append(Problem(f"environment '{env}' must be a mapping of keys to override",
                                path=f"environments.{env}", file=str(file),
                                line=environments.locs[env][1], code="environment"))
        return
    _overlay(data, overlay)
