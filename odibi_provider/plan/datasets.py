"""Dataset identity and URIs: which reads see which writes, and how hosts name the data."""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import quote, urlsplit

from .model import ConnectionSpec


def dataset_key(connection: str, *, path: str | None = None, table: str | None = None) -> str:
    """``connection:location``: equal for a write and any read of the same data."""
    if table is not None:
        name = table.strip().strip('"').lower()
        return f"{connection}:table:{name}"
    location = posixpath.normpath(str(path).replace("\\", "/")).lstrip("./") if path else ""
    return f"{connection}:path:{location.rstrip('/')}"


def dataset_uri(connection: ConnectionSpec, project_dir: Path, *, path: str | None = None,
                table: str | None = None) -> str:
    """A URI naming the data where it lives (``file://``, ``s3://``, ``abfs://``, ``postgresql://``...)."""
    opts = connection.options
    if connection.type == "local":
        return _file_uri(str(opts.get("base_path", ".")), project_dir, path)
    if connection.type == "http":
        return f"{str(opts.get('base_url', '')).rstrip('/')}/{(path or '').lstrip('/')}"
    if connection.type == "sql":
        return _sql_uri(str(opts.get("url", "")), opts.get("schema"), table or "")
    if connection.type == "delta":  # a catalog table (path C/S/T): under the root the Plan knows
        return _file_uri(str(opts.get("path") or opts.get("default_root") or "warehouse"), project_dir, path)
    location = posixpath.join(str(opts.get("prefix", "") or ""), path or table or "").lstrip("/")
    if connection.type == "s3":
        return f"s3://{opts['bucket']}/{quote(location)}"
    if connection.type == "gcs":
        return f"gs://{opts['bucket']}/{quote(location)}"
    host = "dfs" if connection.type == "azure_adls" else "blob"
    return f"abfs://{opts['container']}@{opts['account_name']}.{host}.core.windows.net/{quote(location)}"


def _file_uri(base_path: str, project_dir: Path, path: str | None) -> str:
    base = Path(base_path)
    root = base if base.is_absolute() else project_dir / base
    return (root / (path or "")).resolve().as_uri()


def _sql_uri(url: str, schema: object, table: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0] or "sql"
    if scheme == "sqlite":
        database = url.split(":///", 1)[-1] if ":///" in url else ":memory:"
        return f"sqlite:///{quote(database)}/{quote(table)}"
    host = parts.netloc.rsplit("@", 1)[-1]
    database = parts.path.strip("/")
    default_schema = "public" if scheme.startswith("postgres") else "dbo"
    schema_name, _, table_name = table.rpartition(".")
    return f"{scheme}://{host}/{database}/{schema_name or schema or default_schema}/{table_name}"
