"""The project model: pydantic v2 models of the odibi project YAML (a strict subset of Odibi 3.x).

Every model forbids unknown keys; the loader turns pydantic's errors into located problems with
did-you-mean hints. Key names follow Odibi 3.x exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
ReadFormat = Literal["csv", "json", "parquet", "delta", "sql", "excel"]
WriteFormat = Literal["csv", "json", "parquet", "delta", "sql", "excel"]
WriteMode = Literal["overwrite", "append", "upsert", "append_once", "merge"]
OnError = Literal["fail_fast", "fail_later", "ignore"]
OnFail = Literal["warn", "fail", "quarantine"]
EngineName = Literal["pandas", "spark"]


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
    type: Literal["azure_blob", "azure_adls"]
    account_name: str
    container: str
    prefix: str = ""
    account_key: str | None = None
    sas_token: str | None = None
    connection_string: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    endpoint_url: str | None = None


class GcsConnection(_Connection):
    type: Literal["gcs"]
    bucket: str
    prefix: str = ""
    project_id: str | None = None
    token: str | None = None


Connection = Annotated[
    Union[LocalConnection, SqlConnection, S3Connection, AzureConnection, GcsConnection],
    Field(discriminator="type"),
]


# --- read / write ------------------------------------------------------------------------------


class Incremental(StrictModel):
    """Read only rows newer than the stored high-water mark of ``column`` (minus ``lookback``)."""

    column: str
    lookback: str | None = None
    state_key: str | None = None


UNSUPPORTED_READS = {
    "simulation": "format 'simulation' (Odibi's synthetic-data generator) is not supported; make the rows in a "
                  "generator node instead (no read, a @transform function or a SQL step that returns them)",
    "api": "format 'api' (HTTP sources) is not supported yet; fetch the data in a @transform function step",
}


class ReadConfig(StrictModel):
    connection: Name
    format: ReadFormat
    path: str | None = None
    table: str | None = None
    query: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    incremental: Incremental | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_unsupported_format(cls, data: Any) -> Any:
        """Odibi read formats this package does not have yet: say so, instead of a missing-key error."""
        if isinstance(data, Mapping) and isinstance(fmt := data.get("format"), str) and fmt in UNSUPPORTED_READS:
            raise ValueError(UNSUPPORTED_READS[fmt])
        return data

    @model_validator(mode="after")
    def _one_source(self) -> ReadConfig:
        given = [k for k in ("path", "table", "query") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("a read needs exactly one of 'path', 'table' or 'query'"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.query and self.format != "sql":
            raise ValueError("'query' needs format: sql")
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


class WriteConfig(StrictModel):
    connection: Name
    format: WriteFormat
    path: str | None = None
    table: str | None = None
    mode: WriteMode = "overwrite"
    options: dict[str, Any] = Field(default_factory=dict)
    merge_keys: list[str] | None = None
    partition_by: list[str] = Field(default_factory=list)
    merge_schema: bool = False  # Odibi's schema evolution: new columns are added (see engines/schema_drift.py)
    merge_options: MergeOptions | None = None  # mode merge only

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
    type: Literal["range"]
    column: str
    min: float | None = None
    max: float | None = None


class RegexMatchTest(_Test):
    type: Literal["regex_match"]
    column: str
    pattern: str


class CustomSqlTest(_Test):
    """``condition`` is a SQL boolean each valid row satisfies (rows where it is false fail)."""

    type: Literal["custom_sql"]
    condition: str


ValidationTest = Annotated[
    Union[NotNullTest, UniqueTest, AcceptedValuesTest, RowCountTest, RangeTest, RegexMatchTest, CustomSqlTest],
    Field(discriminator="type"),
]


class QuarantineConfig(StrictModel):
    connection: Name
    path: str | None = None
    table: str | None = None
    format: WriteFormat = "parquet"


class ValidationConfig(StrictModel):
    tests: list[ValidationTest] = Field(default_factory=list)
    quarantine: QuarantineConfig | None = None


# --- retry, story, system ----------------------------------------------------------------------


class RetryConfig(StrictModel):
    enabled: bool = True
    max_attempts: int = Field(default=3, ge=1, le=100)
    backoff: Literal["exponential", "linear", "constant"] = "exponential"
    delay_seconds: float = Field(default=1.0, ge=0)
    max_delay_seconds: float | None = Field(default=None, ge=0)


class StoryConfig(StrictModel):
    connection: Name | None = None
    path: str = "stories"
    enabled: bool = True
    max_sample_rows: int = Field(default=10, ge=0, le=1000)


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


class SystemConfig(StrictModel):
    """Where odibi keeps its own state: intermediate datasets, incremental marks, run records."""

    connection: Name | None = None
    path: str = ".odibi"


# --- node, pipeline, project -------------------------------------------------------------------


class PatternConfig(StrictModel):
    """Odibi's ``pattern: {type: dimension, params: {...}}`` (params are checked in ``plan/patterns.py``)."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)


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
    write: WriteConfig | None = None
    on_error: OnError = "fail_fast"
    retry: RetryConfig | None = None
    schedule: str | None = None
    cache: bool = False
    sensitive: bool | list[str] = False

    @field_validator("inputs")
    @classmethod
    def _input_refs(cls, value: dict[str, str]) -> dict[str, str]:
        for name, ref in value.items():
            if not (ref.startswith("$") and ref.count(".") == 1):
                raise ValueError(f"input '{name}' must reference a node as '$pipeline.node' (got '{ref}')")
        return value

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
    nodes: list[NodeConfig] = Field(min_length=1)


class ProjectConfig(StrictModel):
    project: Name
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
