"""Dataset identity and URIs: which reads see which writes, and how hosts name the data.

A URI names the data the same way on every machine, so a DAG parsed on the scheduler and on a worker (or in an
image and on a laptop) declares the same Airflow Asset, and Dagster and OpenLineage see one dataset:

* object stores keep their real URI (``s3://bucket/key``, ``gs://``, ``abfs://container@account...``), SQL tables
  their database identity without credentials (``postgresql://host:5432/db/schema/table``), APIs their URL;
* data on the machine's file system (``local`` connections, a catalog table under a local root) is named by the
  project and connection, not by a path on one machine: ``x-odibi://<project slug>/<connection>/<path under
  the connection>`` (``x-``: Airflow's prefix for a scheme no provider defines; it is used as written).
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote, urlsplit

from .model import ConnectionSpec
from .naming import project_slug

ODIBI_SCHEME = "x-odibi"


def dataset_key(connection: str, *, path: str | None = None, table: str | None = None) -> str:
    """``connection:location``: equal for a write and any read of the same data."""
    if table is not None:
        name = table.strip().strip('"').lower()
        return f"{connection}:table:{name}"
    return f"{connection}:path:{_relative(path)}"


def dataset_uri(connection: ConnectionSpec, project: str, *, path: str | None = None,
                table: str | None = None) -> str:
    """The URI of the data at ``path`` / ``table`` on ``connection`` of project ``project`` (see the module)."""
    opts = connection.options
    if connection.type == "local":
        return _odibi_uri(project, connection.name, path)
    if connection.type == "http":
        return f"{str(opts.get('base_url', '')).rstrip('/')}/{(path or '').lstrip('/')}"
    if connection.type == "sql":
        return _sql_uri(str(opts.get("url", "")), opts.get("schema"), table or "")
    if connection.type == "delta":  # a catalog table (path C/S/T) under the root the Plan knows
        root = str(opts.get("path") or opts.get("default_root") or "")
        if "://" in root and not root.startswith("file:"):
            return f"{root.rstrip('/')}/{quote(_relative(path))}"
        return _odibi_uri(project, connection.name, path)
    location = posixpath.join(str(opts.get("prefix", "") or ""), path or table or "").lstrip("/")
    if connection.type == "s3":
        return f"s3://{opts['bucket']}/{quote(location)}"
    if connection.type == "gcs":
        return f"gs://{opts['bucket']}/{quote(location)}"
    host = "dfs" if connection.type == "azure_adls" else "blob"
    return f"abfs://{opts['container']}@{opts['account_name']}.{host}.core.windows.net/{quote(location)}"


def _relative(path: str | None) -> str:
    """``path`` normalised below its connection (``./a//b/`` -> ``a/b``)."""
    location = posixpath.normpath(str(path).replace("\\", "/")).lstrip("./") if path else ""
    return location.rstrip("/")


def _odibi_uri(project: str, connection: str, path: str | None) -> str:
    return f"{ODIBI_SCHEME}://{project_slug(project)}/{quote(connection)}/{quote(_relative(path))}"


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
