"""The one gate for optional dependencies: a missing extra becomes install advice, not a bare ImportError."""

from __future__ import annotations

import importlib
from types import ModuleType

# module -> the extra that installs it
EXTRA_OF = {
    "duckdb": "pandas", "pyarrow": "pandas", "pandas": "pandas", "deltalake": "pandas", "openpyxl": "pandas",
    "pyspark": "spark", "delta": "spark",
    "dagster": "dagster", "dagster_duckdb": "dagster", "dagster_pyspark": "dagster",
    "airflow": "airflow",
    "fsspec": "cloud", "s3fs": "cloud", "adlfs": "cloud",
    "sqlalchemy": "sql", "psycopg": "sql", "pint": "units",
}


def require(module: str, *, extra: str | None = None, purpose: str | None = None) -> ModuleType:
    """Import ``module`` or raise MissingExtraError naming ``pip install 'odibi-provider[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        from .errors import MissingExtraError

        name = extra or EXTRA_OF.get(module.split(".")[0], "all")
        why = f" for {purpose}" if purpose else ""
        raise MissingExtraError(f"'{module}' is needed{why} but is not installed; "
                                f"install it with: pip install 'odibi-provider[{name}]'") from exc
