"""Import cost is a feature: the core never loads engines or orchestrators."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import EXAMPLES, REPO

HEAVY = ["pandas", "duckdb", "pyarrow", "pyspark", "dagster", "airflow", "sqlalchemy", "deltalake", "numpy"]


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_odibi_provider_is_light():
    assert _loaded_after("import odibi_provider") == []


def test_compiling_a_plan_is_light():
    """Loading the example's Plan (validation and compile included) imports no engine."""
    code = ("import odibi_provider\n"
            f"plan = odibi_provider.load_plan({str(EXAMPLES / 'retail')!r}, use_cache=False)\n"
            "assert plan.nodes")
    assert _loaded_after(code) == []


def test_cli_validate_is_light():
    code = ("import sys\nfrom odibi_provider.cli import main\n"
            f"assert main(['validate', {str(EXAMPLES / 'retail')!r}, '--no-color']) == 0")
    assert _loaded_after(code) == []
