"""The Airflow test session: a temporary AIRFLOW_HOME with SQLite, configured before Airflow is imported.

pytest imports this file before the test modules beside it, so the environment below is in place
before anything imports ``airflow``. The metadata DB is created once per session; the retail example
is copied once (``ODIBI_RETAIL_PROJECT`` points the DAG files in ``dags/`` at the copy).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
HOME = Path(tempfile.mkdtemp(prefix="odibi-airflow-"))
RETAIL = HOME / "projects" / "retail"

if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(HOME):  # pragma: no cover
    raise RuntimeError("airflow was imported before tests/airflow/conftest.py could point it at a temporary "
                       "AIRFLOW_HOME; run the Airflow tests in their own pytest process")

os.environ.update({
    "AIRFLOW_HOME": str(HOME),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME / 'airflow.db'}",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    "ODIBI_RETAIL_PROJECT": str(RETAIL),
})
atexit.register(shutil.rmtree, HOME, ignore_errors=True)


def copy_retail(target: Path) -> Path:
    """A fresh copy of examples/retail (no outputs, no plan cache)."""
    shutil.copytree(REPO / "examples" / "retail", target, ignore=shutil.ignore_patterns("output", ".odibi"))
    return target


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[None]:
    """The metadata DB, created once; the DAG bundle registered; the retail copy in place."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.utils import db

    if not RETAIL.exists():
        copy_retail(RETAIL)
    db.initdb()
    DagBundlesManager().sync_bundles_to_db()
    yield


def register(dag: Any) -> Any:
    """Write an in-memory DAG to the metadata DB (what the DAG processor does for files), so ``dag.test()``
    can run it."""
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    bag = DagBag(dag_folder=str(HOME), collect_dags=False)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)
    return dag


def task_states(dag_run: Any) -> dict[str, tuple[str, int]]:
    """``{task_id: (state, try_number)}`` of a finished DAG run."""
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: (str(getattr(ti.state, "value", ti.state)), ti.try_number)
                for ti in dag_run.get_task_instances(session=session)}


def run_state(dag_run: Any) -> str:
    return str(getattr(dag_run.state, "value", dag_run.state))


def xcoms(dag_run: Any) -> dict[tuple[str, str], Any]:
    """Every XCom of a DAG run, ``{(task_id, key): value}``."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.scalars(select(XComModel).where(XComModel.dag_id == dag_run.dag_id,
                                                       XComModel.run_id == dag_run.run_id))
        return {(row.task_id, row.key): row.value for row in rows}


@contextmanager
def task_log(path: Path) -> Iterator[Path]:
    """Log as a task process does (structlog with Airflow's secrets masker), into ``path``."""
    from airflow.sdk.log import configure_logging

    with open(path, "w", encoding="utf-8") as handle:
        configure_logging.cache_clear()  # it is memoised on its arguments
        configure_logging(output=handle, cache_logger_on_first_use=False)
        try:
            yield path
        finally:
            configure_logging.cache_clear()
            configure_logging(output=sys.stderr, cache_logger_on_first_use=False)
