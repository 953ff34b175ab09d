"""The project model: load, validate and locate problems in odibi project YAML."""

from .loader import LoadedProject, find_project_file, load_project
from .models import NodeConfig, PipelineConfig, ProjectConfig

__all__ = ["LoadedProject", "NodeConfig", "PipelineConfig", "ProjectConfig", "find_project_file",
           "load_project"]
