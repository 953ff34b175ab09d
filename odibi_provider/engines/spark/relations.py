"""Spark SQL over named DataFrames (``df`` and each input), isolated per call so parallel nodes never clash.

* Spark Connect: the names are query-scoped relation references (the mechanism PySpark's own
  ``spark.sql("... {df}", df=frame)`` uses), sent with the query; no session temp view is created.
* A JVM session: analysis is eager, so under one lock the frames become temp views, the query is
  analysed and the views are dropped again (a same-named temp view of the user's is put back).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..._suggest import known
from ...errors import ExecutionError
from .session import first_line, is_connect

_VIEW_LOCK = threading.Lock()


def run_sql(session: Any, query: str, relations: Mapping[str, Any], *, what: str = "SQL") -> Any:
    """A DataFrame for ``query`` where each name in ``relations`` is a table; analysed now, so errors show
    here and not at the later write."""
    try:
        if is_connect(session):
            frame = _connect_frame(session, query, relations)
            frame.schema  # noqa: B018 - forces analysis: unknown tables/columns fail in this step
            return frame
        with _views(session, relations):
            return session.sql(query)
    except ExecutionError:
        raise
    except Exception as exc:
        raise sql_error(exc, what, relations) from exc


def run_command(session: Any, statement: str, relations: Mapping[str, Any], *, what: str = "SQL") -> None:
    """Execute a statement (MERGE INTO, ...) now, with ``relations`` visible by name."""
    try:
        if is_connect(session):
            from pyspark.sql.connect.plan import SQL

            session.client.execute_command(SQL(statement, None, None, _aliases(relations)).command(session.client))
            return
        with _views(session, relations):
            session.sql(statement)
    except ExecutionError:
        raise
    except Exception as exc:
        raise sql_error(exc, what, relations) from exc


def sql_error(exc: BaseException, what: str, relations: Mapping[str, Any]) -> ExecutionError:
    """An ExecutionError with Spark's first message line and the tables the query could use."""
    return ExecutionError(f"{what} failed: {first_line(exc)}\n  tables available: {known(relations)}")


def _connect_frame(session: Any, query: str, relations: Mapping[str, Any]) -> Any:
    from pyspark.sql.connect.dataframe import DataFrame
    from pyspark.sql.connect.plan import SQL

    return DataFrame(SQL(query, None, None, _aliases(relations)), session)


def _aliases(relations: Mapping[str, Any]) -> list[Any]:
    from pyspark.sql.connect.plan import SubqueryAlias

    return [SubqueryAlias(frame._plan, name) for name, frame in relations.items()]


class _views:
    """Temp views for ``relations`` while the block runs (JVM sessions; one block at a time)."""

    def __init__(self, session: Any, relations: Mapping[str, Any]) -> None:
        self.session, self.relations = session, relations
        self.saved: dict[str, Any] = {}

    def __enter__(self) -> None:
        _VIEW_LOCK.acquire()
        try:
            for name, frame in self.relations.items():
                if (previous := _temp_view(self.session, name)) is not None:
                    self.saved[name] = previous
                frame.createOrReplaceTempView(name)
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *_: object) -> None:
        try:
            for name in self.relations:
                self.session.catalog.dropTempView(name)
            for name, frame in self.saved.items():
                frame.createOrReplaceTempView(name)
        finally:
            _VIEW_LOCK.release()


def _temp_view(session: Any, name: str) -> Any:
    """The user's temp view ``name`` as a DataFrame, if there is one (so it can be restored)."""
    try:
        table = session.catalog.getTable(name)
    except Exception:  # noqa: BLE001 - no such table or view
        return None
    return session.table(name) if getattr(table, "isTemporary", False) else None
