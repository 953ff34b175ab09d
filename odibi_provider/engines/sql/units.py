"""Odibi's ``unit_convert`` as SQL: pint (the ``units`` extra, imported only when a conversion is built) turns
each ``from`` -> ``to`` pair into ``value * factor + offset``, which both engines run through the dialect.

Odibi's params and defaults: ``conversions`` (column -> ``from``, ``to``, optional ``output``; without it the
column is replaced), ``gauge_pressure_offset`` (default ``14.696 psia``: ``psig`` is that much below absolute
pressure) and ``errors`` (``null``, ``raise``, ``ignore``; default null). Odibi's engineering units (psig, psia,
mcf, mmbtu, gpm, ...) are defined. A unit pint does not know, or units that do not convert, make the output
null (``null``), leave the data as it is (``ignore``) or fail the node naming the conversion (``raise``); a value
that is not a number becomes null unless ``errors: raise`` (Odibi's pandas engine nulls the whole column).
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..params import Params

if TYPE_CHECKING:
    from .transformers import SqlParams

SIGNATURE = (("conversions",), ("gauge_pressure_offset", "errors"))
ERRORS = ("null", "raise", "ignore")
DEFAULT_GAUGE_OFFSET = "14.696 psia"
MISSING = ("it needs pint (physical units), which is not installed; install it with: "
           "pip install 'odibi-provider[units]'")
# Odibi's engineering units that pint lacks (name = definition)
ENGINEERING_UNITS = (
    "psig = psi", "psia = psi", "mcf = 1000 * foot ** 3", "mmcf = 1e6 * foot ** 3", "mscf = 1000 * foot ** 3",
    "mmscf = 1e6 * foot ** 3", "mbtu = 1000 * BTU", "mmbtu = 1e6 * BTU", "klb = 1000 * pound",
    "mlb = 1e6 * pound", "kgal = 1000 * gallon", "mgd = 1e6 * gallon / day", "gpm = gallon / minute",
    "cfm = foot ** 3 / minute", "scfm = foot ** 3 / minute", "acfm = foot ** 3 / minute",
)
_SPEC_KEYS = ("from", "from_unit", "to", "output")


def installed() -> bool:
    """Whether pint can be imported (checked without importing it)."""
    return importlib.util.find_spec("pint") is not None


def conversions(p: Params, key: str = "conversions") -> list[tuple[str, str, str, str]]:
    """``(column, from, to, output)`` for each conversion, its shape checked (Odibi's ``ConversionSpec``)."""
    value = p.params.get(key)
    if not isinstance(value, Mapping) or not value:
        p.fail(key, f"expected a mapping of column -> {{from, to, output}}, got {value!r}")
    found = []
    for column, spec in value.items():
        if not isinstance(spec, Mapping):
            p.fail(key, f"'{column}': expected {{from: <unit>, to: <unit>, output: <column>}}, got {spec!r}")
        if extra := [k for k in spec if k not in _SPEC_KEYS]:
            p.fail(key, f"'{column}': unknown key(s) {extra}; a conversion has from, to and output")
        source, target, output = spec.get("from", spec.get("from_unit")), spec.get("to"), spec.get("output") or column
        if not all(isinstance(v, str) and v.strip() for v in (source, target, output)):
            p.fail(key, f"'{column}': 'from' and 'to' must name units (and 'output' a column), got {dict(spec)!r}")
        found.append((str(column), str(source), str(target), str(output)))
    return found


def errors_mode(p: Params, key: str = "errors") -> str:
    if (value := p.params.get(key, "null")) not in ERRORS:
        p.fail(key, f"expected one of {', '.join(ERRORS)}, got {value!r}")
    return str(value)


def gauge_offset_text(p: Params, key: str = "gauge_pressure_offset") -> str:
    if not isinstance(value := p.params.get(key) or DEFAULT_GAUGE_OFFSET, str):
        p.fail(key, f"expected a pressure such as '14.696 psia', got {value!r}")
    return value


PARAM_SHAPES: dict[str, Callable[[Params, str], object]] = {
    "conversions": conversions, "errors": errors_mode, "gauge_pressure_offset": gauge_offset_text}


def unit_convert(p: SqlParams) -> str:
    """Convert ``conversions`` columns between units (pint), each as ``value * factor + offset``.
    YAML: ``transformer: unit_convert`` / ``params: {conversions: {temp_f: {from: degF, to: degC, output: temp_c}}}``
    """
    errors, double = errors_mode(p), p.dialect.type_names["float64"]
    registry = _registry()
    try:
        gauge = registry.Quantity(gauge_offset_text(p)).to("psi").magnitude
    except Exception as exc:  # noqa: BLE001 (pint raises several kinds; reported at the param)
        p.fail("gauge_pressure_offset", f"not a pressure pint can read ({type(exc).__name__}: {exc})")
    outputs: dict[str, str] = {}
    for column, source, target, output in conversions(p):
        value = p.ident(p.column(column, "conversions"))
        try:
            factor, offset = _affine(registry, source, target, float(gauge))
        except Exception as exc:  # noqa: BLE001 (unknown unit, incompatible dimensions, not linear)
            if errors == "raise":
                p.fail("conversions", f"'{column}': cannot convert {source} to {target} ({type(exc).__name__}: "
                                      f"{exc})")
            if errors == "null":
                outputs[output] = f"CAST(NULL AS {double})"
            continue
        number = f"CAST({value} AS {double})" if errors == "raise" else p.dialect.try_cast(value, double)
        outputs[output] = f"({number} * {p.dialect.literal(factor)} + {p.dialect.literal(offset)})"
    from .library_relational import _put

    return _put(p, outputs)


def _affine(registry: Any, source: str, target: str, gauge: float) -> tuple[float, float]:
    """``(factor, offset)`` with ``target = source * factor + offset``; psig is relative to ``gauge`` psi."""

    def convert(x: float) -> float:
        unit = source
        if source.strip().lower() == "psig":
            x, unit = x + gauge, "psi"
        if target.strip().lower() == "psig":
            return float(registry.Quantity(x, unit).to("psi").magnitude) - gauge
        return float(registry.Quantity(x, unit).to(target).magnitude)

    offset = convert(0.0)
    factor = (convert(1e6) - offset) / 1e6  # a wide span keeps the offset's rounding out of the factor
    if abs(convert(10.0) - (10 * factor + offset)) > 1e-9 * max(1.0, abs(10 * factor + offset)):
        raise ValueError("the conversion is not linear")
    return factor, offset


@functools.cache
def _registry() -> Any:
    """pint's unit registry with Odibi's engineering units (built once per process)."""
    from ...extras import require

    pint = require("pint", extra="units", purpose="transformer 'unit_convert'")
    registry = pint.UnitRegistry()
    for definition in ENGINEERING_UNITS:
        registry.define(definition)
    return registry
