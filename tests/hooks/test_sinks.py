"""Event sinks: a JSON Lines file and a real SQLite database; a failing sink never fails the run."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.errors import MissingExtraError
from odibi_provider.hooks import Event, HookManager, JsonLinesSink, SqlTableSink


def event(type: str = "node_complete", **values: Any) -> Event:
    base = {"run_id": "r1", "project": "retail", "pipeline": "silver_sales", "layer": "silver",
            "node": "silver_sales.clean_sales", "engine": "pandas", "tags": ("daily",)}
    return Event(type, **{**base, **values})


def emit_from_threads(hooks: HookManager, threads: int, per_thread: int) -> None:
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            hooks.emit(event(node=f"p.t{t}", rows=i, details={"thread": t, "i": i, "pad": "x" * 300}))

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def test_jsonl_appends_one_object_per_line(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "events.jsonl"
    hooks = JsonLinesSink(path).attach(HookManager())
    hooks.emit(event("node_start"))
    hooks.emit(event("node_complete", rows=42, duration_s=1.25, details={"when": object()}))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["type"] == "node_start" and first["tags"] == ["daily"]
    assert second["rows"] == 42 and second["duration_s"] == 1.25
    assert second["details"]["when"].startswith("<object")  # not JSON: recorded as text


def test_jsonl_attach_to_chosen_events_and_read_back(tmp_path: Path) -> None:
    sink = JsonLinesSink(tmp_path / "errors.jsonl")
    hooks = sink.attach(HookManager(), ["node_error", "pipeline_error"], filters={"layer": "silver"})
    hooks.emit(event("node_complete"))
    hooks.emit(event("node_error", error="ValueError: bad"))
    hooks.emit(event("node_error", layer="gold"))
    assert [(e.type.value, e.error) for e in sink.read()] == [("node_error", "ValueError: bad")]


def test_jsonl_many_threads_give_exactly_n_well_formed_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    hooks = JsonLinesSink(path).attach(HookManager())
    emit_from_threads(hooks, threads=16, per_thread=150)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 16 * 150
    seen = {(d["details"]["thread"], d["details"]["i"]) for d in map(json.loads, lines)}
    assert len(seen) == 16 * 150


def test_a_failing_sink_is_logged_and_the_run_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "a_directory"
    blocked.mkdir()
    hooks = JsonLinesSink(blocked).attach(HookManager())
    after: list[Event] = []
    hooks.register("*", after.append, priority=-1)
    with caplog.at_level(logging.ERROR):
        hooks.emit(event())
    assert len(after) == 1
    assert "could not record node_complete" in caplog.text and caplog.records[0].exc_info


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'events.db'}"


def rows(url: str, table: str = "odibi_events") -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from odibi_provider.connections.sql import sqlalchemy_url

    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]
    finally:
        engine.dispose()


def test_sql_sink_creates_the_table_and_inserts_rows(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    sink = SqlTableSink(url)
    hooks = sink.attach(HookManager())
    hooks.emit(event("node_start", timestamp=1000.0))
    hooks.emit(event("node_complete", rows=7, duration_s=0.5, attempt=1, details={"written": 7}))
    sink.close()
    got = rows(url)
    assert [r["type"] for r in got] == ["node_start", "node_complete"]
    last = got[-1]
    assert (last["run_id"], last["project"], last["pipeline"], last["layer"], last["node"], last["engine"]) == (
        "r1", "retail", "silver_sales", "silver", "silver_sales.clean_sales", "pandas")
    assert (last["rows"], last["duration_s"], last["attempt"], last["error"]) == (7, 0.5, 1, None)
    assert json.loads(last["tags"]) == ["daily"] and json.loads(last["details"]) == {"written": 7}
    assert got[0]["timestamp"] == 1000.0


def test_sql_sink_appends_to_an_existing_table_and_a_custom_name(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    for _ in range(2):  # a second sink (another process, another run) finds the table there
        sink = SqlTableSink(url, table="run_log")
        sink.handle(event())
        sink.close()
    assert len(rows(url, "run_log")) == 2


def test_sql_sink_from_many_threads(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    sink = SqlTableSink(url)
    emit_from_threads(sink.attach(HookManager()), threads=8, per_thread=25)
    sink.close()
    got = rows(url)
    assert len(got) == 200
    assert {(json.loads(r["details"])["thread"], r["rows"]) for r in got} == {(t, i) for t in range(8)
                                                                               for i in range(25)}


def test_sql_sink_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    sink = SqlTableSink("nosuchdialect://user:secret@host/db")
    hooks = sink.attach(HookManager())
    with caplog.at_level(logging.ERROR):
        hooks.emit(event())
    assert "could not record" in caplog.text
    assert "secret" not in repr(sink) and "user:***@host" in repr(sink)


def test_sql_sink_without_sqlalchemy_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'odibi-provider\[sql\]'"):
        SqlTableSink("sqlite://").write(event())


def test_sql_sink_on_postgres(postgres) -> None:
    import uuid

    url, table = postgres.url, f"odibi_events_{uuid.uuid4().hex[:8]}"
    sink = SqlTableSink(url, table=table)
    sink.handle(event(details={"k": "v"}))
    sink.close()
    try:
        assert [r["node"] for r in rows(url, table)] == ["silver_sales.clean_sales"]
    finally:
        import sqlalchemy as sa

        from odibi_provider.connections.sql import sqlalchemy_url

        engine = sa.create_engine(sqlalchemy_url(url))
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {table}"))
        engine.dispose()
