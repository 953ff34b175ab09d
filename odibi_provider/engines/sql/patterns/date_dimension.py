"""``date_dimension``: a calendar from ``start_date`` to ``end_date`` with Odibi's 19 columns.

``date_sk`` is ``YYYYMMDD``; the fiscal year is named after the calendar year it ends in. Days are numbered
by crossing digit tables (portable to every engine) and weekdays follow from the start date's weekday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..dialect import Dialect

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
COLUMNS = ("date_sk", "full_date", "day_of_week", "day_of_week_num", "day_of_month", "day_of_year",
           "is_weekend", "week_of_year", "month", "month_name", "quarter", "quarter_name", "year", "fiscal_year",
           "fiscal_quarter", "is_month_start", "is_month_end", "is_year_start", "is_year_end")


def _case(expr: str, names: tuple[str, ...], d: Dialect) -> str:
    whens = " ".join(f"WHEN {i} THEN {d.string(name)}" for i, name in enumerate(names, start=1))
    return f"CASE {expr} {whens} END"


def date_dimension_sql(d: Dialect, params: Mapping[str, Any]) -> str:
    """One SELECT producing the calendar (plus the ``date_sk = 0`` row when ``unknown_member``)."""
    start = dt.date.fromisoformat(str(params["start_date"]))
    end = dt.date.fromisoformat(str(params["end_date"]))
    fiscal = int(params.get("fiscal_year_start_month", 1))
    days = (end - start).days + 1
    digits = "(VALUES " + ", ".join(f"({i})" for i in range(10)) + ")"
    width = len(str(max(days - 1, 1)))
    numbers = " CROSS JOIN ".join(f"{digits} AS d{i}(n)" for i in range(width))
    offset = " + ".join(f"d{i}.n * {10 ** i}" for i in range(width))
    q = d.ident
    full, month, year = q("full_date"), f"month({q('full_date')})", f"year({q('full_date')})"
    dow = f"(MOD({start.weekday()} + {q('n')}, 7) + 1)"
    fiscal_year = year if fiscal == 1 else f"({year} + CASE WHEN {month} >= {fiscal} THEN 1 ELSE 0 END)"
    columns = {
        "date_sk": f"CAST({year} * 10000 + {month} * 100 + dayofmonth({full}) AS INT)",
        "full_date": full,
        "day_of_week": _case(dow, DAYS, d),
        "day_of_week_num": f"CAST({dow} AS INT)",
        "day_of_month": f"CAST(dayofmonth({full}) AS INT)",
        "day_of_year": f"CAST(dayofyear({full}) AS INT)",
        "is_weekend": f"{dow} >= 6",
        "week_of_year": f"CAST(weekofyear({full}) AS INT)",
        "month": f"CAST({month} AS INT)",
        "month_name": _case(month, MONTHS, d),
        "quarter": f"CAST(quarter({full}) AS INT)",
        "quarter_name": f"CONCAT('Q', {d.as_text(f'quarter({full})')})",
        "year": f"CAST({year} AS INT)",
        "fiscal_year": f"CAST({fiscal_year} AS INT)",
        "fiscal_quarter": f"CAST(FLOOR(MOD({month} - {fiscal} + 12, 12) / 3) + 1 AS INT)",
        "is_month_start": f"dayofmonth({full}) = 1",
        "is_month_end": f"last_day({full}) = {full}",
        "is_year_start": f"({month} = 1 AND dayofmonth({full}) = 1)",
        "is_year_end": f"({month} = 12 AND dayofmonth({full}) = 31)",
    }
    body = (f"SELECT {', '.join(f'{expr} AS {q(name)}' for name, expr in columns.items())} FROM "
            f"(SELECT {offset} AS {q('n')}, CAST({d.string(start.isoformat())} AS DATE) + CAST({offset} AS INT) "
            f"AS {full} FROM {numbers} WHERE {offset} < {days}) AS days")
    if not params.get("unknown_member"):
        return body
    unknown = {name: "0" for name in COLUMNS}
    unknown.update({name: "FALSE" for name in COLUMNS if name.startswith("is_")})
    unknown.update({"full_date": "CAST('1900-01-01' AS DATE)", "day_of_week": d.string("Unknown"),
                    "month_name": d.string("Unknown"), "quarter_name": d.string("Unknown")})
    row = ", ".join(f"{value} AS {q(name)}" for name, value in unknown.items())
    return f"SELECT {row} UNION ALL {body}"
