"""The Spark engine's SQL, frames and session handling on both backends."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.engines import get_engine
from odibi_provider.engines.spark import configure_spark, delta_conf, get_spark, settings_from_env
from odibi_provider.errors import ExecutionError
from tests.engines.spark.helpers import frame, rows


def test_get_engine_returns_one_spark_engine(sail_engine: Any) -> None:
    assert get_engine("spark") is sail_engine and sail_engine.name == "spark"


def test_sql_sees_df_and_named_inputs(engine: Any) -> None:
    orders = frame(engine, {"id": [1, 2, 3], "customer": [10, 20, 10]})
    customers = frame(engine, {"customer": [10, 20], "name": ["ann", "bo"]})
    result = engine.sql("SELECT df.id, c.name FROM df JOIN customers AS c ON df.customer = c.customer "
                        "WHERE df.id > 1", {"df": orders, "customers": customers})
    assert rows(engine, result) == [(2, "bo"), (3, "ann")]


def test_parallel_nodes_do_not_see_each_others_df(engine: Any) -> None:
    """Each call's relations are its own, however many threads run SQL at once."""
    frames = [frame(engine, {"v": [i]}) for i in range(8)]

    def run(i: int) -> int:
        result = engine.sql("SELECT v * 10 AS v FROM df", {"df": frames[i]})
        return engine.sample(engine.sql("SELECT v + 1 AS v FROM df", {"df": result}), 1)[0]["v"]

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(run, range(8))) == [i * 10 + 1 for i in range(8)]


def test_a_users_temp_view_survives_a_step(jvm_engine: Any, jvm_session: Any) -> None:
    jvm_session.createDataFrame([(42,)], "v int").createOrReplaceTempView("df")
    jvm_engine.sql("SELECT 1 AS x FROM df", {"df": frame(jvm_engine, {"x": [1]})})
    assert jvm_session.table("df").collect()[0][0] == 42
    jvm_session.catalog.dropTempView("df")


def test_sql_errors_name_the_tables(engine: Any) -> None:
    with pytest.raises(ExecutionError, match=r"SQL failed: (.|\n)*tables available: df, orders"):
        engine.sql("SELECT nope FROM df", {"df": frame(engine, {"a": [1]}), "orders": frame(engine, {"b": [2]})})


def test_schema_sample_and_counts(engine: Any) -> None:
    data = frame(engine, {"id": [1, 2], "day": [dt.date(2026, 1, 2), None], "ts": [dt.datetime(2026, 1, 2, 3, 4), None]})
    assert engine.schema(data) == [("id", "bigint"), ("day", "date"), ("ts", "timestamp")]
    assert engine.sample(data, 1) == [{"id": 1, "day": "2026-01-02", "ts": "2026-01-02T03:04:00"}]
    assert engine.known_count(data) is None
    assert engine.count(data) == 2 and engine.known_count(data) == 2
    kept = engine.materialize(data)
    assert engine.known_count(kept) == 2 and rows(engine, kept)[0][0] == 1


def test_pandas_round_trip_keeps_nulls_and_wall_clock_times(engine: Any) -> None:
    data = frame(engine, {"n": [1, None], "flag": [True, None], "ts": [dt.datetime(2026, 1, 2, 3, 4), None]})
    df = engine.to_pandas(data)
    assert [str(t) for t in df.dtypes] == ["Int64", "boolean", "datetime64[us]"]
    assert df["ts"][0].to_pydatetime() == dt.datetime(2026, 1, 2, 3, 4)
    back = engine.from_pandas(df.assign(total=lambda d: d["n"] * 2))
    assert rows(engine, back) == [(1, True, "2026-01-02T03:04:00", 2), (None, None, None, None)]


def test_functions_get_their_own_frame_type(sail_engine: Any) -> None:
    data = frame(sail_engine, {"a": [1]})
    assert sail_engine.function_input(data, "spark") is data
    assert sail_engine.function_input(data, "any").to_dict("list") == {"a": [1]}
    assert sail_engine.function_output(data, "spark") is data
    with pytest.raises(ExecutionError, match="a spark function must return a Spark DataFrame"):
        sail_engine.function_output(data.toPandas(), "spark")


def test_intermediate_round_trip(engine: Any, tmp_path: Path) -> None:
    location = str(tmp_path / "run" / "node.parquet")
    engine.write_intermediate(frame(engine, {"a": [1, 2]}), location)
    engine.write_intermediate(frame(engine, {"a": [3]}), location)  # replaced, not appended
    assert rows(engine, engine.read_intermediate(location)) == [(3,)]
    with pytest.raises(ExecutionError, match="no intermediate data"):
        engine.read_intermediate(str(tmp_path / "missing.parquet"))


def test_settings_from_the_environment() -> None:
    settings = settings_from_env({"ODIBI_SPARK_REMOTE": "sc://spark:15002",
                                  "ODIBI_SPARK_CONF": '{"spark.sql.shuffle.partitions": 8, "x.y": true}'})
    assert (settings.master, settings.remote) == (None, "sc://spark:15002")
    assert settings.conf == {"spark.sql.shuffle.partitions": "8", "x.y": "true"}
    with pytest.raises(ExecutionError, match="ODIBI_SPARK_CONF is not valid JSON"):
        settings_from_env({"ODIBI_SPARK_CONF": "{nope"})
    with pytest.raises(ExecutionError, match="either master .* or remote"):
        settings_from_env({"ODIBI_SPARK_MASTER": "local[2]", "ODIBI_SPARK_REMOTE": "sc://x:1"})


def test_an_injected_session_is_used_as_is(sail_session: Any) -> None:
    configure_spark(session=sail_session)
    assert get_spark() is sail_session


def test_delta_conf_loads_delta_from_maven() -> None:
    conf = delta_conf()
    assert conf["spark.jars.packages"].startswith("io.delta:delta-spark_4.2_2.13:")
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"


def test_project_spark_block_reaches_the_plan_and_yields_to_explicit_settings(make_project, monkeypatch):
    from odibi_provider.engines.spark import session as spark_session
    from odibi_provider.plan import compile_project

    text = """
    project: p
    engine: spark
    spark: {master: "local[2]", conf: {spark.sql.shuffle.partitions: 3}}
    connections: {raw: {type: local}}
    pipelines:
      - pipeline: b
        nodes:
          - {name: a, read: {connection: raw, format: csv, path: a.csv}}
    """
    plan = compile_project(make_project(text))
    assert plan.spark == {"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": 3}}
    state = spark_session._STATE
    monkeypatch.setattr(state, "settings", None)
    monkeypatch.setattr(state, "session", None)
    for name in (spark_session.ENV_MASTER, spark_session.ENV_REMOTE, spark_session.ENV_CONF):
        monkeypatch.delenv(name, raising=False)
    spark_session.use_project_settings(**plan.spark.thaw())
    assert state.settings == spark_session.SparkSettings("local[2]", None, {"spark.sql.shuffle.partitions": "3"})
    monkeypatch.setattr(state, "settings", spark_session.SparkSettings(remote="sc://elsewhere:15002"))
    spark_session.use_project_settings(**plan.spark.thaw())
    assert state.settings.remote == "sc://elsewhere:15002", "configure_spark wins over the project"
