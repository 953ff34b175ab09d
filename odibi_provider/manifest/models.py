"""The project model: pydantic v2 models of the odibi project YAML (a strict subset of Odibi 3.x).

Every model forbids unknown keys; the loader turns pydantic's errors into located problems with
did-you-mean hints. Key names follow Odibi 3.x exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .durations import duration_seconds, has_unit
from .odibi_connections import (
    AzureAuth,
    AzureMode,
    DeltaCatalogConnection,
    PostgresConnection,
    SqlServerConnection,
    azure_auth_settings,
    odibi_sql_format,
)

NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
ReadFormat = Literal["csv", "json", "parquet", "delta", "sql", "excel", "api"]
WriteFormat = Literal["csv", "json", "parquet", "delta", "sql", "excel"]
WriteMode = Literal["overwrite", "append", "upsert", "append_once", "merge"]
OnError = Literal["fail_fast", "fail_later", "ignore"]
OnFail = Literal["warn", "fail", "quarantine"]
EngineName = Literal["pandas", "spark"]
# one host step (Dagster op / Airflow task) per node, or per pipeline (its nodes run in-process in that step)
Granularity = Literal["node", "pipeline"]


class StrictModel(BaseModel):
    """Base of every manifest model: unknown keys are errors; instances are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --- connections -------------------------------------------------------------------------------


class _Connection(StrictModel):
    airflow_conn_id: str | None = None
    description: str | None = None


class LocalConnection(_Connection):
    type: Literal["local"]
    base_path: str = "."


class SqlConnection(_Connection):
    """A SQL database by SQLAlchemy-style URL (``sqlite:///file.db``, ``postgresql://...``)."""

    type: Literal["sql"]
    url: str
    db_schema: str | None = Field(default=None, alias="schema")


class S3Connection(_Connection):
    type: Literal["s3"]
    bucket: str
    prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None


class AzureConnection(_Connection):
    """A container of a storage account; credentials flat or in Odibi's ``auth:`` block (``path_prefix`` is
    Odibi's name for ``prefix``)."""

    type: Literal["azure_blob", "azure_adls"]
    account_name: str = Field(validation_alias=AliasChoices("account_name", "account"))  # Odibi reads both
    container: str
    prefix: str = ""
    path_prefix: str | None = None
    account_key: str | None = None
    sas_token: str | None = None
    connection_string: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    endpoint_url: str | None = None
    auth_mode: AzureMode | None = None
    key_vault_name: str | None = None  # Odibi's Key Vault reference beside 'auth': refused with the reason
    secret_name: str | None = None
    auth: AzureAuth | None = Field(default=None, validate_default=True)

    @field_validator("auth")
    @classmethod
    def _auth(cls, value: AzureAuth | None, info: ValidationInfo) -> AzureAuth | None:
        """The mode and the credentials it needs, checked here so that problems point at ``auth``."""
        azure_auth_settings(value, info.data.get("auth_mode"), info.data)
        return value

    @model_validator(mode="after")
    def _one_prefix(self) -> AzureConnection:
        if self.path_prefix is not None and self.prefix:
            raise ValueError("give 'path_prefix' (Odibi's name) or 'prefix', not both")
        return self

    def as_spec(self) -> tuple[str, dict[str, Any]]:
        """``(type, options)`` with the ``auth`` block as flat settings and ``path_prefix`` as ``prefix``."""
        flat = self.model_dump(exclude_none=True, exclude={"type", "airflow_conn_id", "description", "auth",
                                                            "auth_mode", "path_prefix", "key_vault_name",
                                                            "secret_name"})
        credentials = azure_auth_settings(self.auth, self.auth_mode, flat)
        options = {k: v for k, v in flat.items() if k not in credentials}
        return self.type, {**options, **credentials, "prefix": self.path_prefix or self.prefix}


class GcsConnection(_Connection):
    type: Literal["gcs"]
    bucket: str
    prefix: str = ""
    project_id: str | None = None
    token: str | None = None


class HttpNoAuth(StrictModel):
    mode: Literal["none"]


class HttpBasicAuth(StrictModel):
    mode: Literal["basic"]
    username: str
    password: str


class HttpBearerAuth(StrictModel):
    mode: Literal["bearer"]
    token: str


class HttpApiKeyAuth(StrictModel):
    """Odibi's API key header: ``header_name: value_template`` with the key in place of ``{token}``."""

    mode: Literal["api_key"]
    api_key: str = Field(min_length=1)
    header_name: str = "Authorization"
    value_template: str = "Bearer {token}"

    @field_validator("value_template")
    @classmethod
    def _one_token(cls, value: str) -> str:
        if value.count("{token}") != 1 or "{" in (rest := value.replace("{token}", "", 1)) or "}" in rest:
            raise ValueError("value_template must contain exactly one literal '{token}' and no other braces")
        return value


HttpAuth = Annotated[Union[HttpNoAuth, HttpBasicAuth, HttpBearerAuth, HttpApiKeyAuth], Field(discriminator="mode")]


class HttpConnection(_Connection):
    """An HTTP API (Odibi's ``type: http``) read with ``format: api``; secrets as ``${env:...}``."""

    type: Literal["http"]
    base_url: str
    headers: dict[str, str] = Field(default_factory=dict)
    auth: HttpAuth | None = None


Connection = Annotated[
    Union[LocalConnection, SqlConnection, S3Connection, AzureConnection, GcsConnection, HttpConnection,
          SqlServerConnection, PostgresConnection, DeltaCatalogConnection],
    Field(discriminator="type"),
]


# --- read / write ------------------------------------------------------------------------------


class Incremental(StrictModel):
    """Odibi's incremental read. ``stateful``: rows past the stored high-water mark of ``column`` (minus
    ``watermark_lag``); ``rolling_window``: rows from the last ``lookback`` ``unit``s (default 1 day), all rows
    while the node's target does not exist. ``fallback_column`` fills a NULL ``column``; ``date_format``
    parses a text column. Without ``mode``: a ``lookback`` count or a ``unit`` means Odibi's rolling window;
    otherwise the stored mark (stateful), with a unit-bearing ``lookback`` (``2h``) as its lag."""

    mode: Literal["rolling_window", "stateful"] | None = None
    column: str = Field(validation_alias=AliasChoices("column", "key_column"))
    fallback_column: str | None = None
    lookback: int | str | None = None
    unit: Literal["hour", "day", "month", "year"] | None = None  # Odibi's IncrementalUnit
    state_key: str | None = None
    watermark_lag: str | None = None
    date_format: Literal["oracle", "oracle_sqlserver", "sql_server", "us", "eu", "iso"] | None = None

    @field_validator("lookback", "watermark_lag")
    @classmethod
    def _duration_form(cls, value: int | str | None, info: ValidationInfo) -> int | str | None:
        if value is not None:  # located at the key itself; the unit a bare count needs is checked below
            duration_seconds(value, default_unit="day" if info.field_name == "lookback" else None,
                             what=str(info.field_name))
        return value

    @model_validator(mode="after")
    def _durations(self) -> Incremental:
        """Every duration parses here, at validate, and no key is accepted that the mode would ignore."""
        if self.resolved_mode == "rolling_window":
            for key in ("watermark_lag", "state_key"):
                if getattr(self, key) is not None:
                    raise ValueError(f"'{key}' applies to mode 'stateful' (a rolling window keeps no mark); "
                                     "drop it or set mode: stateful")
            if self.unit and self.lookback is not None and has_unit(self.lookback):
                raise ValueError(f"lookback {self.lookback!r} names its own unit and 'unit' is {self.unit!r}; "
                                 f"give a number with unit (lookback: 3, unit: day) or the duration alone")
        elif self.unit is not None or (self.lookback is not None and not has_unit(self.lookback)):
            raise ValueError("'lookback' as a count and 'unit' apply to mode 'rolling_window'; for an overlap "
                             "past the stored mark in mode 'stateful' use watermark_lag (e.g. '2h')")
        elif self.lookback is not None and self.watermark_lag is not None:
            raise ValueError("give the overlap once: 'watermark_lag' (Odibi's name) or 'lookback', not both")
        _ = self.window_seconds, self.lag_seconds
        return self

    @property
    def resolved_mode(self) -> str:
        """``mode``, or the mode the other keys imply when it is not written."""
        if self.mode is not None:
            return self.mode
        implies_window = self.unit is not None or (self.lookback is not None and not has_unit(self.lookback))
        return "rolling_window" if implies_window else "stateful"

    @property
    def window_seconds(self) -> int | None:
        """A rolling window's length in seconds (Odibi's default: 1 day)."""
        if self.resolved_mode != "rolling_window":
            return None
        return duration_seconds(1 if self.lookback is None else self.lookback, default_unit=self.unit or "day",
                                what="lookback")

    @property
    def lag_seconds(self) -> int | None:
        """How far before the stored mark a stateful read starts (``watermark_lag``, or a ``2h`` lookback)."""
        lag = self.watermark_lag if self.watermark_lag is not None else self.lookback
        if self.resolved_mode != "stateful" or lag is None:
            return None
        return duration_seconds(lag, default_unit=None, what="watermark_lag" if self.watermark_lag else "lookback")


UNSUPPORTED_READS = {
    "simulation": "format 'simulation' (Odibi's synthetic-data generator) is not supported; make the rows in a "
                  "generator node instead (no read, a @transform function or a SQL step that returns them)",
}

STREAMING = ("streaming is not supported: every node runs as a batch. To run when new data lands, use the "
             "Dagster adapter's landing sensor (read.options.watch: true) or an Airflow asset-triggered DAG "
             "(an asset watcher on the upstream dataset); then set streaming: false or drop the key")
# keys written under read: that belong elsewhere -> where
MISPLACED_READ_KEYS = {
    "mode": "the write mode goes under write.mode; the incremental mode under read.incremental.mode",
    "merge_keys": "it belongs under write:", "partition_by": "it belongs under write:",
    "column": "it belongs under read.incremental:", "lookback": "it belongs under read.incremental:",
    "watermark_lag": "it belongs under read.incremental:",
}


def no_streaming(value: Any) -> Any:
    """Odibi's ``streaming`` keys: false/absent is what runs; anything else is refused (STREAMING)."""
    if value not in (None, False):
        raise ValueError(STREAMING)
    return value


Streaming = Annotated[Any, AfterValidator(no_streaming)]


class ReadConfig(StrictModel):
    connection: Name
    format: Annotated[ReadFormat, BeforeValidator(odibi_sql_format)]  # Odibi's sql_server/azure_sql: sql
    path: str | None = None
    table: str | None = None
    query: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    incremental: Incremental | None = None
    archive_options: dict[str, Any] = Field(default_factory=dict)  # Odibi merges these into options
    streaming: Streaming = False

    @model_validator(mode="before")
    @classmethod
    def _known_unsupported_format(cls, data: Any) -> Any:
        """Odibi read formats this package does not have yet: say so, instead of a missing-key error.
        A key that belongs in another block names that block."""
        if isinstance(data, Mapping) and isinstance(fmt := data.get("format"), str) and fmt in UNSUPPORTED_READS:
            raise ValueError(UNSUPPORTED_READS[fmt])
        if isinstance(data, Mapping) and (wrong := [k for k in MISPLACED_READ_KEYS if k in data]):
            raise ValueError("; ".join(f"'{k}' is not a read key: {MISPLACED_READ_KEYS[k]}" for k in wrong))
        return data

    @model_validator(mode="after")
    def _one_source(self) -> ReadConfig:
        given = [k for k in ("path", "table", "query") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("a read needs exactly one of 'path', 'table' or 'query'"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.query and self.format != "sql":
            raise ValueError("'query' needs format: sql")
        if self.format == "api" and not self.path:
            raise ValueError("format: api reads 'path' (the endpoint, e.g. /v1/items)")
        if self.options.get("incremental_param") is not None and (
                self.incremental is None or self.incremental.mode == "rolling_window"):
            raise ValueError("options.incremental_param sends the stored mark of a stateful 'incremental' "
                             "(with 'column'); add one or drop incremental_param")
        return self


class AuditColumns(StrictModel):
    """Odibi's merge ``audit_cols``: set on first insert / on every insert and update."""

    created_col: str | None = None
    updated_col: str | None = None


class MergeOptions(StrictModel):
    """Odibi's merge params for ``write.mode: merge`` (conditions name the relations ``source``/``target``)."""

    strategy: Literal["upsert", "append_only", "delete_match"] = "upsert"
    update_condition: str | None = None
    insert_condition: str | None = None
    delete_condition: str | None = None
    audit_cols: AuditColumns | None = None


class AddMetadata(StrictModel):
    """Odibi's ``add_metadata`` columns (``true``: every one that applies to the read)."""

    extracted_at: bool = True  # _extracted_at: the run's start time
    source_file: bool = True  # _source_file: the file a row was read from (file reads)
    source_connection: bool = False  # _source_connection: the read's connection name
    source_table: bool = False  # _source_table: the table or query read (SQL reads)


_LATER = "not supported yet (the key is refused rather than ignored)"
REFUSED_WRITE_KEYS = {
    "register_table": "registering the output in a Spark/Hive catalog is not supported; read it by its path",
    "first_run_query": "use read.incremental: the first run (no mark yet) reads everything, later runs only new "
                       "rows",
    "auto_optimize": "OPTIMIZE/VACUUM do not run after writes; zorder_by z-orders a Delta table on each write",
    "overwrite_options": "SQL Server overwrite strategies are not supported: an overwrite of a SQL table "
                         "replaces its rows in one transaction",
}


def refuse_keys(data: Any, refused: Mapping[str, str]) -> Any:
    """``data`` without the ``refused`` keys set to an off value (false, empty, null: what runs anyway);
    any other value of one is an error giving its reason."""
    if not isinstance(data, Mapping):
        return data
    if given := [k for k in refused if data.get(k)]:
        raise ValueError("; ".join(f"'{k}': {refused[k]}" for k in given))
    return {k: v for k, v in data.items() if k not in refused} if any(k in data for k in refused) else data


class WriteConfig(StrictModel):
    connection: Name
    format: Annotated[WriteFormat, BeforeValidator(odibi_sql_format)]  # Odibi's sql_server/azure_sql: sql
    path: str | None = None
    table: str | None = None
    mode: WriteMode = "overwrite"
    options: dict[str, Any] = Field(default_factory=dict)
    merge_keys: list[str] | None = None
    partition_by: list[str] = Field(default_factory=list)
    merge_schema: bool = False  # Odibi's schema evolution: new columns are added (see engines/schema_drift.py)
    merge_options: MergeOptions | None = None  # mode merge only
    # mode overwrite: true (the default here) replaces the schema; false keeps a Delta table's schema (a
    # different one fails, as Delta does)
    overwrite_schema: bool | None = None
    zorder_by: list[str] = Field(default_factory=list)  # Delta: z-order the table by these after the write
    table_properties: dict[str, str] = Field(default_factory=dict)  # Delta table properties
    add_metadata: bool | AddMetadata | None = None  # Odibi's lineage columns (_extracted_at, ...)
    streaming: Streaming = None
    # Odibi's skip_if_unchanged: no write when the output's content (and the node's code) equal the last write's
    skip_if_unchanged: bool = False
    skip_hash_columns: list[str] | None = None  # hash only these columns (default: all)
    skip_hash_sort_columns: list[str] | None = None  # accepted for Odibi projects: the hash is order-independent

    @model_validator(mode="before")
    @classmethod
    def _refused(cls, data: Any) -> Any:
        """Odibi write keys this package does not run: refused with the reason (a false/empty value is fine)."""
        return refuse_keys(data, REFUSED_WRITE_KEYS)

    @model_validator(mode="after")
    def _delta_keys(self) -> WriteConfig:
        for key in ("zorder_by", "table_properties"):
            if getattr(self, key) and self.format != "delta":
                raise ValueError(f"'{key}' applies to format delta (this write is {self.format}); drop it")
            if getattr(self, key) and self.mode == "merge":
                raise ValueError(f"'{key}' is not applied by a merge write (one MERGE commit); drop it")
        if self.overwrite_schema is not None and self.mode != "overwrite":
            raise ValueError(f"'overwrite_schema' applies to mode overwrite (mode is '{self.mode}'); to add new "
                             "columns on other modes use merge_schema: true")
        if (self.skip_hash_columns or self.skip_hash_sort_columns) and not self.skip_if_unchanged:
            raise ValueError("skip_hash_columns/skip_hash_sort_columns belong to skip_if_unchanged: true; set it "
                             "or drop them")
        if self.skip_if_unchanged and self.mode in ("merge", "upsert", "append_once"):
            raise ValueError(f"skip_if_unchanged compares whole outputs; a {self.mode} write already changes only "
                             "what differs: drop skip_if_unchanged")
        if self.overwrite_schema is False and self.format != "delta":
            raise ValueError(f"overwrite_schema: false keeps the schema of a Delta table; a {self.format} "
                             "overwrite always writes the new columns: drop the key")
        return self

    @model_validator(mode="after")
    def _target_and_keys(self) -> WriteConfig:
        if bool(self.path) == bool(self.table):
            raise ValueError("a write needs exactly one of 'path' or 'table'")
        raw = self.options.get("keys")
        if raw is not None and not (isinstance(raw, str) or (
                isinstance(raw, list) and all(isinstance(k, str) for k in raw))):
            raise ValueError(f"options.keys must be a column name or a list of column names, got {raw!r}")
        if self.merge_options is not None and self.mode != "merge":
            raise ValueError(f"'merge_options' apply to mode 'merge' only (mode is '{self.mode}')")
        if self.mode in ("upsert", "append_once", "merge") and not self.keys:
            raise ValueError(f"mode '{self.mode}' needs key columns: set 'merge_keys' or 'options.keys'")
        return self

    @property
    def keys(self) -> list[str]:
        """The key columns for upsert/append_once, from ``merge_keys`` or ``options.keys``."""
        keys = self.merge_keys or self.options.get("keys") or []
        return [keys] if isinstance(keys, str) else list(keys)


# --- transform ---------------------------------------------------------------------------------


class SqlStep(StrictModel):
    sql: str


class FunctionStep(StrictModel):
    function: str
    params: dict[str, Any] = Field(default_factory=dict)


def _step_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "text"
    if isinstance(value, BaseModel):
        return "function" if isinstance(value, FunctionStep) else "sql"
    if isinstance(value, dict):
        if "function" in value:
            return "function"
        if "sql" in value:
            return "sql"
    return None


Step = Annotated[
    Union[Annotated[str, Tag("text")], Annotated[SqlStep, Tag("sql")], Annotated[FunctionStep, Tag("function")]],
    Discriminator(_step_kind, custom_error_type="step",
                  custom_error_message="a step is a SQL string, {sql: ...} or {function: name, params: {...}}"),
]


class TransformConfig(StrictModel):
    steps: list[Step] = Field(min_length=1)


# --- validation --------------------------------------------------------------------------------


class _Test(StrictModel):
    name: str | None = None
    on_fail: OnFail = "fail"


class NotNullTest(_Test):
    type: Literal["not_null"]
    columns: list[str] = Field(min_length=1)


class UniqueTest(_Test):
    type: Literal["unique"]
    columns: list[str] = Field(min_length=1)


class AcceptedValuesTest(_Test):
    type: Literal["accepted_values"]
    column: str
    values: list[Any] = Field(min_length=1)


class RowCountTest(_Test):
    type: Literal["row_count"]
    min: int | None = None
    max: int | None = None


class RangeTest(_Test):
    """``min``/``max`` inclusive: numbers, or text read as the column's type (Odibi's date bounds)."""

    type: Literal["range"]
    column: str
    min: float | str | None = None
    max: float | str | None = None


class RegexMatchTest(_Test):
    type: Literal["regex_match"]
    column: str
    pattern: str


class CustomSqlTest(_Test):
    """``condition`` is a SQL boolean each valid row satisfies (rows where it is false fail); the test passes
    while the failing share is at most ``threshold`` (Odibi: 0.0, no failures allowed)."""

    type: Literal["custom_sql"]
    condition: str
    threshold: float = Field(default=0.0, ge=0, le=1)


class FreshnessTest(_Test):
    """The newest ``column`` value is at most ``max_age`` (``30m``, ``24h``, ``7d``) before the run's logical
    time (naive timestamps are UTC)."""

    type: Literal["freshness"]
    column: str = "updated_at"
    max_age: Annotated[str, Field(pattern=r"^\s*[0-9]+\s*[mhd]\s*$")]


class VolumeDropTest(_Test):
    """Fails when the row count dropped more than ``threshold`` below the average of this node's successful
    runs in the last ``lookback_days`` days (from run state; no history passes)."""

    type: Literal["volume_drop"]
    threshold: float = Field(default=0.5, ge=0, le=1)
    lookback_days: int = Field(default=7, ge=1)


class SchemaTest(_Test):
    """The data's columns against ``columns`` (names, or name -> type compared by type family): ``strict``
    fails on any difference, otherwise only on missing columns (or changed types)."""

    type: Literal["schema"]
    strict: bool = True
    columns: list[str] | dict[str, str] | None = None


class DistributionTest(_Test):
    """A statistic of ``column`` (``mean``, ``min``, ``max``, ``null_percentage`` as a 0..1 share) against
    ``threshold`` (``>100``, ``<=0.05``, ...). Odibi's default ``on_fail`` is ``warn``."""

    type: Literal["distribution"]
    column: str
    metric: Literal["mean", "min", "max", "null_percentage"]
    threshold: Annotated[str, Field(pattern=r"^\s*(>=|<=|==|!=|>|<)\s*-?[0-9.]+(e-?[0-9]+)?\s*$")]
    on_fail: OnFail = "warn"


ValidationTest = Annotated[
    Union[NotNullTest, UniqueTest, AcceptedValuesTest, RowCountTest, RangeTest, RegexMatchTest, CustomSqlTest,
          FreshnessTest, VolumeDropTest, SchemaTest, DistributionTest],
    Field(discriminator="type"),
]


QUARANTINE_COLUMNS = ("_rejection_reason", "_rejected_at", "_source_batch_id", "_failed_tests", "_original_node")


class QuarantineConfig(StrictModel):
    """Where quarantined rows go. ``add_columns`` (Odibi's metadata columns) is ``true`` (Odibi's four
    defaults), a list of names, or name -> bool (with or without the leading ``_``); ``sample_fraction`` keeps
    a random share and ``max_rows`` caps the rows kept per run; ``retention_days`` prunes rows whose
    ``_rejected_at`` is older on each write."""

    connection: Name
    path: str | None = None
    table: str | None = None
    format: WriteFormat = "parquet"
    add_columns: bool | list[str] | dict[str, bool] | None = None
    max_rows: int | None = Field(default=None, ge=1)
    sample_fraction: float | None = Field(default=None, ge=0, le=1)
    retention_days: int | None = Field(default=None, ge=1)

    @field_validator("add_columns")
    @classmethod
    def _known_columns(cls, value: Any) -> Any:
        names = [] if isinstance(value, bool) or value is None else list(value)
        for name in names:
            if "_" + str(name).lstrip("_") not in QUARANTINE_COLUMNS:
                raise ValueError(f"unknown quarantine column '{name}'; known: {', '.join(QUARANTINE_COLUMNS)}")
        return value

    @property
    def metadata_columns(self) -> tuple[str, ...]:
        """The Odibi metadata columns to add, in Odibi's order (empty: the provider's failed-tests column)."""
        value = self.add_columns
        if value is None or value is False:
            return ()
        if value is True:
            return QUARANTINE_COLUMNS[:4]
        wanted = {"_" + n.lstrip("_") for n in value if not isinstance(value, dict) or value[n]}
        return tuple(c for c in QUARANTINE_COLUMNS if c in wanted)

    @model_validator(mode="after")
    def _retention_needs_timestamp(self) -> QuarantineConfig:
        if self.retention_days is not None and "_rejected_at" not in self.metadata_columns:
            raise ValueError("'retention_days' prunes by the _rejected_at column: add it with "
                             "add_columns: {_rejected_at: true}")
        return self


class GateThreshold(StrictModel):
    """A per-test minimum pass rate; ``test`` is a test's name or type."""

    test: str
    min_pass_rate: float = Field(ge=0, le=1)


class GateRowCount(StrictModel):
    """Batch size bounds; ``change_threshold`` is the largest change allowed against the previous successful
    run of the node (0.5 = 50%)."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    change_threshold: float | None = Field(default=None, ge=0, le=1)


class GateConfig(StrictModel):
    """Odibi's quality gate, judged on the batch before anything is written (see ``runner/gates.py``)."""

    require_pass_rate: float = Field(default=0.95, ge=0, le=1)
    on_fail: Literal["abort", "warn_and_write", "write_valid_only"] = "abort"
    thresholds: list[GateThreshold] = Field(default_factory=list)
    row_count: GateRowCount | None = None


class ValidationConfig(StrictModel):
    """``mode: warn`` turns failing ``fail`` tests into warnings; ``on_fail: ignore`` emits no
    ``validation_failed`` events (``alert``, the default, does)."""

    mode: Literal["fail", "warn"] = "fail"
    on_fail: Literal["alert", "ignore"] = "alert"
    tests: list[ValidationTest] = Field(default_factory=list)
    quarantine: QuarantineConfig | None = None
    gate: GateConfig | None = None
    fail_fast: Literal[False] = False  # refused when true (see _scan_keys)
    cache_df: Literal[False] = False

    @model_validator(mode="before")
    @classmethod
    def _scan_keys(cls, data: Any) -> Any:
        """Odibi's ``fail_fast``/``cache_df`` tune its test-by-test loop; here every test is one scan."""
        if isinstance(data, Mapping) and (given := [k for k in ("fail_fast", "cache_df") if data.get(k)]):
            raise ValueError(f"{' and '.join(given)}: every test is counted in one scan of the data, so there is "
                             "nothing to stop early or cache; remove it (false is accepted)")
        return data


# --- retry, story, system ----------------------------------------------------------------------


class RetryConfig(StrictModel):
    enabled: bool = True
    max_attempts: int = Field(default=3, ge=1, le=100)
    backoff: Literal["exponential", "linear", "constant"] = "exponential"
    delay_seconds: float = Field(default=1.0, ge=0)
    max_delay_seconds: float | None = Field(default=None, ge=0)


def honoured(key: str, value: Any, table: Mapping[str, tuple[Any, str]]) -> Any:
    """``value`` of an Odibi key that odibi-provider honours only as ``table[key][0]`` (None: no value is);
    any other value is refused with ``table[key][1]``, the reason."""
    allowed, reason = table[key]
    if value != allowed:
        fix = "remove it" if allowed is None else f"remove it or set it to {str(allowed).lower()}"
        raise ValueError(f"'{key}' is not supported: {reason}; {fix}")
    return value


def refusing(table: Mapping[str, tuple[Any, str]]) -> Any:
    """A field validator for the keys of ``table`` (see :func:`honoured`)."""

    def check(cls: type, value: Any, info: ValidationInfo) -> Any:
        return honoured(str(info.field_name), value, table)

    return field_validator(*table)(check)


_STORY_REFUSED = {
    "failure_sample_size": (None, "the story keeps each test's failing-row count and a masked sample of the "
                                  "node's output, not failed rows per test"),
    "max_failure_samples": (None, "the story keeps no failed rows per test, only counts"),
    "max_sampled_validations": (None, "the story keeps no failed rows per test, only counts"),
    "async_generation": (False, "each node's story is written as the node ends and the page as the run ends"),
    "generate_lineage": (False, "no combined lineage graph is written from stories; 'odibi-provider graph' "
                                "draws the project's graph"),
}


class StoryConfig(StrictModel):
    """Odibi's ``story:``. ``auto_generate: false`` keeps the JSON records and writes no HTML page;
    ``retention_days``/``retention_count`` prune old runs (stories, run records, intermediates) after a run."""

    connection: Name | None = None
    path: str = "stories"
    enabled: bool = True
    max_sample_rows: int = Field(default=10, ge=0, le=1000)
    auto_generate: bool = True
    retention_days: int | None = Field(default=30, ge=1)
    retention_count: int | None = Field(default=100, ge=1)
    docs: dict[str, Any] | None = None
    failure_sample_size: int | None = None
    max_failure_samples: int | None = None
    max_sampled_validations: int | None = None
    async_generation: bool = False
    generate_lineage: bool = False

    _refused = refusing(_STORY_REFUSED)

    @field_validator("docs")
    @classmethod
    def _no_docs(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value and value.get("enabled"):
            raise ValueError("documentation generation (README, TECHNICAL_DETAILS, NODE_CARDS, RUN_MEMO) from "
                             "stories is not supported here; remove 'docs' or set 'enabled: false'")
        return value

    @model_validator(mode="after")
    def _a_retention(self) -> StoryConfig:
        if self.retention_days is None and self.retention_count is None:
            raise ValueError("no retention policy: give 'retention_days' (e.g. 30), 'retention_count' "
                             "(e.g. 100) or both; they decide how long old runs' stories are kept")
        return self


class SparkConfig(StrictModel):
    """How the Spark engine gets its session: ``master`` (``local[*]``, a cluster URL) or ``remote``
    (Spark Connect, ``sc://host:15002``), plus ``conf``; ``delta: pip`` loads Delta from Maven."""

    master: str | None = None
    remote: str | None = None
    conf: dict[str, Any] = Field(default_factory=dict)
    delta: Literal["pip"] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> SparkConfig:
        if self.master and self.remote:
            raise ValueError("give either 'master' or 'remote', not both")
        return self


_SYSTEM_REFUSED = {
    key: (None, "there is no system catalog to sync here: run records are files in the system store")
    for key in ("sync_to", "sync_from", "schema_name", "sync_timeout_seconds", "skip_sync_wait_in_databricks")
} | {
    "retention_days": (None, "there are no system tables (daily stats, failures) here; 'story.retention_days' "
                             "and 'story.retention_count' prune old runs' stories, records and intermediates"),
    "cost_per_compute_hour": (None, "compute cost is not tracked"),
    "databricks_billing_enabled": (False, "compute cost is not tracked"),
    "optimize_catalog": (False, "there are no system catalog Delta tables to optimize"),
    "async_derived_updates": (None, "there are no derived system tables"),
    "async_lineage": (None, "no lineage is built from the system catalog"),
}


class SystemConfig(StrictModel):
    """Where odibi keeps its own state: intermediate datasets, incremental marks, run records.
    ``environment`` (Odibi's tag, e.g. ``prod``) is written into every run record and story."""

    connection: Name | None = None
    path: str = ".odibi"
    environment: str | None = None
    sync_to: Any = None
    sync_from: Any = None
    schema_name: Any = None
    sync_timeout_seconds: Any = None
    skip_sync_wait_in_databricks: Any = None
    retention_days: Any = None
    cost_per_compute_hour: Any = None
    databricks_billing_enabled: bool = False
    optimize_catalog: bool = False
    async_derived_updates: Any = None
    async_lineage: Any = None

    _refused = refusing(_SYSTEM_REFUSED)


class LoggingConfig(StrictModel):
    """Odibi's ``logging:``: the ``odibi_provider`` loggers' ``level``; ``structured: true`` writes JSON lines
    (``timestamp``, ``level``, ``message``, ``logger`` and the ``metadata`` fields) to standard output."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    structured: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)


_PERFORMANCE_REFUSED = {
    "use_arrow": (True, "the embedded engine always holds data as Arrow"),
    "skip_null_profiling": (True, "no null profiling is done, so there is nothing to turn on"),
    "skip_catalog_writes": (True, "there is no system catalog to write to"),
    "skip_run_logging": (True, "there is no system catalog to log runs to (run records are files)"),
}


class PerformanceConfig(StrictModel):
    """Odibi's ``performance:``, mapped where it applies: ``spark_config`` joins the Spark session's conf;
    ``max_workers`` (nodes run at once), ``duckdb_threads`` and ``duckdb_memory_limit`` (the embedded
    engine's DuckDB) are odibi-provider's own. Odibi's skip flags are honoured as ``true``."""

    max_workers: int | None = Field(default=None, ge=1)
    duckdb_threads: int | None = Field(default=None, ge=1)
    duckdb_memory_limit: str | None = Field(default=None, pattern=r"^\d+(\.\d+)?\s*([KMGT]i?B|B)$")
    spark_config: dict[str, str] = Field(default_factory=dict)
    delta_table_properties: dict[str, str] = Field(default_factory=dict)
    use_arrow: bool = True
    skip_null_profiling: bool = True
    skip_catalog_writes: bool = True
    skip_run_logging: bool = True

    _refused = refusing(_PERFORMANCE_REFUSED)

    @field_validator("delta_table_properties")
    @classmethod
    def _no_table_properties(cls, value: dict[str, str]) -> dict[str, str]:
        if value:
            raise ValueError("Delta writes here do not set table properties; set them once on the table "
                             "(ALTER TABLE ... SET TBLPROPERTIES) and remove 'delta_table_properties'")
        return value


SEMANTIC_OUT_OF_SCOPE = ("Odibi's semantic layer ('semantic:') is not supported by odibi-provider; keep the "
                         "metrics and dimensions in an Odibi project of their own and remove 'semantic' here")


# --- alerts, lineage ---------------------------------------------------------------------------

AlertEventName = Literal["on_start", "on_success", "on_failure", "on_quarantine", "on_gate_block",
                         "on_threshold_breach"]
TEAMS_ALERTS = ("teams", "teams_workflow")


class AlertMetadata(BaseModel):
    """Odibi's alert ``metadata``: throttling and mentions; other keys are passed on (Slack: top-level
    payload fields such as ``username``; webhook: the payload's ``metadata``)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    throttle_minutes: float = Field(default=15, ge=0)
    max_per_hour: int = Field(default=10, ge=1)
    channel: str | None = None
    mention: str | list[str] = Field(default_factory=list)
    mention_on_failure: str | list[str] = Field(default_factory=list)


class AlertConfig(StrictModel):
    """One alert channel (Odibi's ``alerts:`` item): a Slack, Teams (Power Automate workflow) or generic
    webhook ``url`` (usually ``${env:...}``, resolved when the alert is sent) and the events it fires on."""

    type: Literal["slack", "teams", "teams_workflow", "webhook"]
    url: str
    on_events: list[AlertEventName] = Field(default_factory=lambda: list[AlertEventName](["on_failure"]))
    metadata: AlertMetadata = Field(default_factory=AlertMetadata)

    @model_validator(mode="after")
    def _teams_keys(self) -> AlertConfig:
        extra = sorted((self.metadata.model_extra or {}).keys())
        if self.type in TEAMS_ALERTS and (extra or self.metadata.channel):
            keys = ", ".join(f"'{k}'" for k in extra + (["channel"] if self.metadata.channel else []))
            raise ValueError(f"metadata {keys} has no meaning for a Teams workflow card; Teams alerts take "
                             "throttle_minutes, max_per_hour, mention and mention_on_failure")
        return self


class LineageConfig(StrictModel):
    """Odibi's ``lineage:`` (OpenLineage): ``url`` of the HTTP receiver (else ``$OPENLINEAGE_URL``),
    ``namespace`` of the jobs, ``api_key`` (a bearer token); ``transport: file`` (to ``path``, one JSON
    event per line) or ``console`` (the log) instead of HTTP."""

    url: str | None = None
    namespace: str = "odibi"
    api_key: str | None = None
    transport: Literal["http", "file", "console"] = "http"
    path: str | None = None
    timeout: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _transport_keys(self) -> LineageConfig:
        if self.transport == "file" and not self.path:
            raise ValueError("transport: file needs 'path' (the file the events are appended to)")
        if self.transport != "file" and self.path:
            raise ValueError(f"'path' is for transport: file, not {self.transport}; remove it or set transport: file")
        if self.transport != "http" and (self.url or self.api_key):
            raise ValueError(f"'url' and 'api_key' are for transport: http, not {self.transport}")
        return self


# --- node, pipeline, project -------------------------------------------------------------------


class PatternConfig(StrictModel):
    """Odibi's ``pattern: {type: dimension, params: {...}}`` (params are checked in ``plan/patterns.py``)."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)


class ColumnDoc(StrictModel):
    """Odibi's ``columns:`` entry: what a column of the node's output means (Dagster column descriptions,
    Airflow task docs); ``pii: true`` masks it in samples like ``sensitive``."""

    description: str | None = None
    pii: bool = False
    tags: list[str] = Field(default_factory=list)


REFUSED_NODE_KEYS = {
    "materialized": "views are not created: every node with a write materializes a table",
}


class NodeConfig(StrictModel):
    name: Name
    description: str | None = None
    enabled: bool = True
    tags: list[str] = Field(default_factory=list)
    owner: str | None = None
    engine: EngineName | None = None
    depends_on: list[str] = Field(default_factory=list)
    inputs: dict[Name, str] = Field(default_factory=dict)
    read: ReadConfig | None = None
    transformer: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    transform: TransformConfig | None = None
    pattern: PatternConfig | None = None
    validation: ValidationConfig | None = None
    contracts: list[ValidationTest] = Field(default_factory=list)  # checked on the input, before the steps
    write: WriteConfig | None = None
    on_error: OnError = "fail_fast"
    retry: RetryConfig | None = None
    schedule: str | None = None
    cache: bool = False
    sensitive: bool | list[str] | None = None  # unset: personal-looking columns are masked in samples
    streaming: Streaming = False  # Odibi's node-level streaming: refused unless false
    columns: dict[str, ColumnDoc] = Field(default_factory=dict)  # Odibi's data dictionary of the output
    # Odibi's Markdown explanation of the node's logic (inline, or a file relative to the node's YAML file)
    explanation: str | None = None
    explanation_file: str | None = None
    # statements run on the SQL write target, in the write's transaction: before the rows load / after
    pre_sql: list[str] = Field(default_factory=list)
    post_sql: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _refused(cls, data: Any) -> Any:
        """Odibi node keys this package does not run: refused with the reason (a false/empty value is fine)."""
        write = data.get("write") if isinstance(data, Mapping) else None
        if isinstance(write, Mapping) and data.get("transformer") in ("scd2", "merge") and (
                write.get("zorder_by") or write.get("table_properties")):
            raise ValueError("write.zorder_by/table_properties are not applied by an scd2/merge write (one MERGE "
                             "commit); drop them")
        return refuse_keys(data, REFUSED_NODE_KEYS)

    @field_validator("inputs")
    @classmethod
    def _input_refs(cls, value: dict[str, str]) -> dict[str, str]:
        for name, ref in value.items():
            if not (ref.startswith("$") and ref.count(".") == 1):
                raise ValueError(f"input '{name}' must reference a node as '$pipeline.node' (got '{ref}')")
        return value

    @model_validator(mode="after")
    def _one_explanation(self) -> NodeConfig:
        if self.explanation and self.explanation_file:
            raise ValueError("give 'explanation' or 'explanation_file', not both")
        return self

    @model_validator(mode="after")
    def _sql_around_a_sql_write(self) -> NodeConfig:
        if (self.pre_sql or self.post_sql) and (self.write is None or self.write.format != "sql"):
            raise ValueError("'pre_sql'/'post_sql' run on the node's SQL write target, inside the write's "
                             "transaction; this node has no sql write (for engine setup use a transform step)")
        return self

    @model_validator(mode="after")
    def _params_need_transformer(self) -> NodeConfig:
        if self.params and not self.transformer:
            raise ValueError("'params' are for a built-in 'transformer'; set 'transformer' or move them "
                             "into a transform step's params")
        return self


class PipelineConfig(StrictModel):
    pipeline: Name
    layer: Name | None = None
    description: str | None = None
    owner: str | None = None
    tags: list[str] = Field(default_factory=list)
    engine: EngineName | None = None
    schedule: str | None = None
    granularity: Granularity | None = None
    nodes: list[NodeConfig] = Field(min_length=1)


class ProjectConfig(StrictModel):
    project: str  # free text, as in Odibi; hosts use plan/naming.py's slug as its identifier
    granularity: Granularity = "node"
    version: str = "1.0.0"
    logging: LoggingConfig | None = None
    performance: PerformanceConfig = Field(default_factory=PerformanceConfig)
    semantic: Any = None
    engine: EngineName = "pandas"
    description: str | None = None
    owner: str | None = None
    connections: dict[Name, Connection] = Field(default_factory=dict)
    pipelines: list[PipelineConfig] = Field(default_factory=list)
    story: StoryConfig = Field(default_factory=StoryConfig)
    system: SystemConfig = Field(default_factory=SystemConfig)
    vars: dict[str, Any] = Field(default_factory=dict)
    imports: list[str] = Field(default_factory=list)
    environments: dict[str, Any] = Field(default_factory=dict)
    retry: RetryConfig | None = None
    transforms: list[str] = Field(default_factory=list)
    spark: SparkConfig | None = None
    alerts: list[AlertConfig] = Field(default_factory=list)
    lineage: LineageConfig | None = None

    @field_validator("project")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the project name is empty; write one, e.g. 'project: Sales Data Pipeline'")
        return value

    @field_validator("semantic")
    @classmethod
    def _no_semantic(cls, value: Any) -> Any:
        raise ValueError(SEMANTIC_OUT_OF_SCOPE)
