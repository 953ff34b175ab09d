"""``OdibiProjectComponent``: add an odibi project to a ``dg`` project with a ``defs.yaml``, no Python.

    type: odibi_provider.dagster.OdibiProjectComponent
    attributes:
      project: ../../../examples/retail     # relative to this defs.yaml's folder
      env: prod
      granularity: pipeline                  # optional: one step per pipeline (default: the project's)
      story_base_url: http://localhost:8765  # optional: where `odibi-provider serve-stories` serves stories
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ._dg import dg
from .definitions import DEFAULT_RESOURCE_KEY, build_definitions
from .resources import OdibiResource
from .translator import OdibiDagsterTranslator


class OdibiProjectComponent(dg.Component, dg.Model, dg.Resolvable):
    """An odibi project: one asset per node, checks, a job per pipeline, schedules and sensors.

    ``project`` is the project folder or file (relative to the folder holding ``defs.yaml``);
    ``key_prefix`` namespaces asset keys and job names, ``resource_key`` the resources, so several
    projects can live in one code location; ``granularity`` (``node`` / ``pipeline``) overrides the project's.
    """

    project: str
    env: str | None = None
    engine: str | None = None
    storage_root: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    key_prefix: list[str] = Field(default_factory=list)
    resource_key: str = DEFAULT_RESOURCE_KEY
    granularity: Literal["node", "pipeline"] | None = None
    story_base_url: str | None = None

    def project_path(self, context: dg.ComponentLoadContext) -> Path:
        path = Path(self.project).expanduser()
        return path if path.is_absolute() else (context.path / path).resolve()

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        path = self.project_path(context)
        odibi = OdibiResource(project_path=str(path), env=self.env, engine_override=self.engine,
                              storage_root=self.storage_root, vars=dict(self.vars),
                              story_base_url=self.story_base_url)
        return build_definitions(path, env=self.env, vars=self.vars or None, resource_key=self.resource_key,
                                 translator=OdibiDagsterTranslator(key_prefix=self.key_prefix),
                                 resources={self.resource_key: odibi}, granularity=self.granularity)
