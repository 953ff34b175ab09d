"""Odibi's ``unit_convert`` (the ``units`` extra, pint) on the embedded engine and on Spark (Sail and a JVM
session): the same converted values, Odibi's gauge-pressure handling and ``errors`` modes; without pint,
``validate`` refuses it at the step with the install hint."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from odibi_provider.engines import get_engine
from odibi_provider.errors import ExecutionError
from odibi_provider.plan.frozen import FrozenMap
from tests.engines.conftest import spark_engine
from tests.engines.test_engine_parity import frame, rows

pytest.importorskip("pint", reason="unit_convert needs the 'units' extra (pint)")

READINGS = {"sensor": ["a", "b", "c"], "temp_f": [32.0, 212.0, None], "pressure": [0.0, 14.696, 29.392],
            "flow": ["1", "2.5", "n/a"]}
CASES = [
    pytest.param({"conversions": {"temp_f": {"from": "degF", "to": "degC", "output": "temp_c"}}},
                 [("a", 0.0), ("b", 100.0), ("c", None)], "temp_c", id="temperature to a new column"),
    pytest.param({"conversions": {"pressure": {"from": "psig", "to": "psia"}}},
                 [("a", 14.696), ("b", 29.392), ("c", 44.088)], "pressure", id="gauge to absolute, in place"),
    pytest.param({"conversions": {"pressure": {"from": "psig", "to": "psia"}}, "gauge_pressure_offset": "1 atm"},
                 [("a", 14.695949), ("b", 29.391949), ("c", 44.087949)], "pressure", id="gauge offset in atm"),
    pytest.param({"conversions": {"flow": {"from": "gpm", "to": "L/min", "output": "flow_l"}}},
                 [("a", 3.785412), ("b", 9.463529), ("c", None)], "flow_l", id="text column, non-numbers null"),
    pytest.param({"conversions": {"temp_f": {"from": "degF", "to": "bar", "output": "bad"}}},
                 [("a", None), ("b", None), ("c", None)], "bad", id="incompatible units null by default"),
]


@pytest.fixture(params=["embedded", "sail", "jvm"])
def engine(request: pytest.FixtureRequest) -> Any:
    if request.param == "embedded":
        return get_engine("pandas")
    return spark_engine(request.getfixturevalue(f"{request.param}_session"))


def _convert(engine: Any, params: dict[str, Any]) -> Any:
    result, _ = engine.transformer("unit_convert", FrozenMap(params), frame(engine, READINGS), {})
    return result


@pytest.mark.parametrize(("params", "expected", "column"), CASES)
def test_unit_convert_values(engine: Any, params: dict[str, Any], expected: list[tuple[Any, ...]],
                             column: str) -> None:
    result = _convert(engine, params)
    names = [name for name, _ in engine.schema(result)]
    got = [(r[0], None if r[names.index(column)] is None else round(r[names.index(column)], 6))
           for r in rows(engine, result)]
    assert sorted(got, key=repr) == sorted(expected, key=repr)


def test_unit_convert_ignore_leaves_the_data_and_raise_names_the_conversion(engine: Any) -> None:
    bad = {"temp_f": {"from": "degF", "to": "furlongs_per_fortnight", "output": "x"}}
    ignored = _convert(engine, {"conversions": bad, "errors": "ignore"})
    assert [name for name, _ in engine.schema(ignored)] == list(READINGS)
    with pytest.raises(ExecutionError, match=r"param 'conversions': 'temp_f': cannot convert degF to "
                                             r"furlongs_per_fortnight"):
        _convert(engine, {"conversions": bad, "errors": "raise"})


def test_unit_convert_in_a_project_validates_and_runs(tmp_path: Path) -> None:
    from odibi_provider.runner import run_project

    project = _project(tmp_path)
    result = run_project(project, workers=1)
    assert result.ok, [(r.node_id, r.error) for r in result.results if r.error]
    header, *lines = (tmp_path / "out" / "readings.csv").read_text().splitlines()
    assert header == "sensor,temp_f,temp_c"
    assert [(s, round(float(c), 9)) for s, _, c in (line.split(",") for line in lines)] == [("a", 0.0), ("b", 100.0)]


def test_unit_convert_params_are_checked_at_validate(tmp_path: Path) -> None:
    from odibi_provider.errors import ProjectError
    from odibi_provider.plan.cache import compile_project

    project = _project(tmp_path, conversion="{temp_f: {from: degF, into: degC}}")
    with pytest.raises(ProjectError, match=r"unknown key\(s\) \['into'\]; a conversion has from, to and output"):
        compile_project(project)


def test_without_pint_validate_refuses_unit_convert_with_the_install_hint(tmp_path: Path) -> None:
    project = _project(tmp_path)
    code = textwrap.dedent(f"""
        import sys
        sys.modules["pint"] = None  # as if the 'units' extra were not installed
        from odibi_provider.errors import ProjectError
        from odibi_provider.plan.cache import compile_project
        try:
            compile_project({str(project)!r})
        except ProjectError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert "transformer 'unit_convert' is not supported: it needs pint" in out
    assert "pip install 'odibi-provider[units]'" in out and "odibi.yaml:11: pipelines[0].nodes[0].transformer" in out


def _project(tmp_path: Path, conversion: str = "{temp_f: {from: degF, to: degC, output: temp_c}}") -> Path:
    (tmp_path / "raw").mkdir(exist_ok=True)
    (tmp_path / "raw" / "readings.csv").write_text("sensor,temp_f\na,32\nb,212\n")
    (tmp_path / "odibi.yaml").write_text(textwrap.dedent(f"""\
        project: plant
        engine: pandas
        connections:
          raw: {{type: local, base_path: raw}}
          out: {{type: local, base_path: out}}
        pipelines:
          - pipeline: sensors
            nodes:
              - name: readings
                read: {{connection: raw, format: csv, path: readings.csv}}
                transformer: unit_convert
                params: {{conversions: {conversion}}}
                write: {{connection: out, format: csv, path: readings.csv}}
        """))
    return tmp_path / "odibi.yaml"
