"""Small projects in the seed systems' own formats (our own data): the odibi_de_v2 sales project (manifest +
TransformationRegistry rows as JSON, CSV or a SQL table) and ODIBI CORE step lists (examples 1 and 2)."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

SALES_CSV = "order_id,region,amount\n1,east,50\n2,west,150\n3,east,300\n4,west,120\n5,north,80\n"
# gold rows (region, total of amounts >= min_amount): qat keeps >= 100, prod keeps >= 200
GOLD_QAT = [("east", 300.0), ("west", 270.0)]
GOLD_PROD = [("east", 300.0)]

FUNCTIONS = '''
from pathlib import Path

import pandas as pd

from odibi_provider import odibi_function, transform


def _save(df, outputs):
    target = Path(outputs[0]["table"])
    target.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(target)
    return df


@transform
def ingest_sales(context, inputs, outputs, **constants):
    return _save(pd.read_csv(inputs[0]), outputs)


@transform(engine="pandas")
def clean_sales(context, inputs, outputs, min_amount=0):
    df = pd.read_parquet(inputs[0])
    return _save(df[df["amount"] >= min_amount], outputs)


@transform(name="clean_sales", engine="spark")
def clean_sales_on_spark(context, inputs, outputs, min_amount=0):
    df = context.spark.read.parquet(str(Path(inputs[0]).resolve()))
    df = df.filter(df["amount"] >= min_amount)
    df.write.mode("overwrite").parquet(str(Path(outputs[0]["table"]).resolve()))
    return df


@odibi_function(engine="any", version="1.0", tags=("sales",), author="sales-data")
def sales_by_region(context, inputs, outputs, **constants):
    df = pd.read_parquet(inputs[0])
    return _save(df.groupby("region", as_index=False)["amount"].sum(), outputs)
'''

MANIFEST: dict[str, Any] = {
    "project_name": "Sales Analytics",
    "project_type": "analytics",
    "default_engine": "pandas",
    "layer_order": ["Bronze", "Silver", "Gold"],
    "layers": {"Bronze": {}, "Silver": {"depends_on": ["Bronze"]}, "Gold": {"depends_on": ["Silver"]}},
    "environments": ["qat", "prod"],
    "default_env": "qat",
    "transformation_modules": ["sales_functions"],
    "owner": "sales-data",
    "tags": ["sales"],
}


def registry_rows() -> list[dict[str, Any]]:
    """The registry rows: three layers for qat and prod (prod keeps larger sales), one disabled row, and a row
    of another project that must not be picked up."""
    rows = []
    for env, minimum in (("qat", 100), ("prod", 200)):
        rows += [
            _row(f"ingest_sales_{env}", env, "Bronze", 1, "ingest_sales", ["data/sales.csv"], {},
                 [{"table": f"out/{env}/bronze.parquet", "mode": "overwrite"}]),
            _row(f"clean_sales_{env}", env, "Silver", 1, "clean_sales", [f"out/{env}/bronze.parquet"],
                 {"min_amount": minimum}, [{"table": f"out/{env}/silver.parquet"}]),
            _row(f"legacy_cleanup_{env}", env, "Silver", 2, "clean_sales", [], {}, [], enabled=False),
            _row(f"sales_by_region_{env}", env, "Gold", 1, "sales_by_region", [f"out/{env}/silver.parquet"],
                 {"engine": "pandas"}, [{"table": f"out/{env}/gold.parquet"}]),
        ]
    rows.append(_row("other_project_row", "qat", "Bronze", 1, "missing_function", [], {}, [],
                     project="Energy Efficiency"))
    return rows


def _row(tid: str, env: str, layer: str, step: int, function: str, inputs: list[Any], constants: dict[str, Any],
         outputs: list[Any], *, enabled: bool = True, project: str = "Sales Analytics") -> dict[str, Any]:
    return {"transformation_id": tid, "project": project, "environment": env, "layer": layer, "step": step,
            "enabled": enabled, "module": "sales_functions", "function": function, "inputs": inputs,
            "constants": constants, "outputs": outputs}


def write_de_v2(root: Path, source: str = "json", manifest: dict[str, Any] | None = None) -> Path:
    """The sales project in ``root`` with its rows as ``json``, ``csv`` or ``sql`` (a SQLite table read
    through a SQLAlchemy URL); returns ``root``."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "sales.csv").write_text(SALES_CSV)
    (root / "sales_functions.py").write_text(FUNCTIONS)
    manifest = dict(manifest or MANIFEST)
    rows = registry_rows()
    if source == "json":
        (root / "TransformationRegistry.json").write_text(json.dumps(rows, indent=1))
    elif source == "csv":
        write_csv(root / "TransformationRegistry.csv", rows)
    else:
        db = root / "registry.db"
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE TransformationRegistry (transformation_id TEXT, project TEXT, "
                         "environment TEXT, layer TEXT, step INTEGER, enabled INTEGER, module TEXT, function TEXT, "
                         "inputs TEXT, constants TEXT, outputs TEXT)")
            conn.executemany("INSERT INTO TransformationRegistry VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                             [_cells(r) for r in rows])
        conn.close()
        manifest["registry"] = {"url": "sqlite:///registry.db", "table": "TransformationRegistry"}  # project-relative
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return root


def _cells(row: dict[str, Any]) -> list[Any]:
    return [json.dumps(v) if isinstance(v, (list, dict)) else int(v) if isinstance(v, bool) else v
            for v in row.values()]


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(rows[0]))
        for row in rows:
            writer.writerow(["true" if v is True else "false" if v is False else
                             json.dumps(v) if isinstance(v, (list, dict)) else v for v in row.values()])


def gold(root: Path, env: str = "qat") -> list[tuple[str, float]]:
    import pandas as pd

    df = pd.read_parquet(root / "out" / env / "gold.parquet")
    return sorted((str(r), float(a)) for r, a in zip(df["region"], df["amount"], strict=True))


# --- ODIBI CORE ---------------------------------------------------------------------------------------------
INPUT_CSV = "id,value\n1,50\n2,150\n3,300\n4,101\n"
EXAMPLE_1 = [
    {"layer": "ingest", "name": "read_csv", "type": "config_op", "engine": "pandas", "value": "data/input.csv",
     "outputs": {"data": "raw_data"}},
    {"layer": "transform", "name": "filter_records", "type": "sql", "engine": "pandas",
     "value": "SELECT * FROM raw WHERE value > 100", "inputs": {"raw": "raw_data"},
     "outputs": {"data": "filtered_data"}},
    {"layer": "store", "name": "save_parquet", "type": "config_op", "engine": "pandas",
     "value": "output/filtered.parquet", "inputs": {"data": "filtered_data"}},
]

TRANSACTIONS_CSV = ("transaction_id,amount,transaction_date,customer_id\n1,10.5,2024-01-01,c1\n2,,2024-01-01,c1\n"
                    "3,20,2024-01-01,c2\n4,-5,2024-01-02,c1\n5,30,2024-01-02,c1\n6,12,2024-01-01,c1\n")
# (date, customer, count, total) after dropping null and non-positive amounts, flagged >= 15 as large
GOLD_DAILY = [("2024-01-01", "c1", 2, 22.5), ("2024-01-01", "c2", 1, 20.0), ("2024-01-02", "c1", 1, 30.0)]
CORE_FUNCTIONS = '''
from odibi_provider import transform


@transform
def flag_large(context, current, threshold=0):
    df = current.copy()
    df["large"] = df["amount"] >= threshold
    return df
'''


def example_2(engine: str = "pandas") -> list[dict[str, Any]]:
    """The medallion: CSV -> Delta bronze -> SQL silver (Delta) -> a function step -> SQL gold (Delta, append)."""

    def step(layer: str, name: str, kind: str, value: str, **fields: Any) -> dict[str, Any]:
        return {"layer": layer, "name": name, "type": kind, "engine": engine, "value": value, **fields}

    def delta(name: str, value: str, key: str, mode: str) -> dict[str, Any]:
        return step("publish" if mode == "append" else "store", name, "config_op", value, inputs={"data": key},
                    params={"mode": mode, "source_type": "delta"})

    return [
        step("ingest", "ingest_transactions", "config_op", "data/raw/transactions.csv",
             outputs={"data": "bronze_transactions"}),
        delta("save_bronze", "delta/bronze/transactions", "bronze_transactions", "overwrite"),
        step("transform", "clean_transactions", "sql",
             "SELECT transaction_id, CAST(amount AS DOUBLE) AS amount, CAST(transaction_date AS STRING) AS "
             "transaction_date, customer_id FROM bronze WHERE amount IS NOT NULL AND amount > 0",
             inputs={"bronze": "bronze_transactions"}, outputs={"data": "silver_transactions"}),
        delta("save_silver", "delta/silver/transactions", "silver_transactions", "overwrite"),
        step("transform", "flag_transactions", "function", "core_functions.flag_large", params={"threshold": 15},
             inputs={"silver": "silver_transactions"}, outputs={"data": "flagged_transactions"},
             metadata={"description": "marks large transactions", "tags": ["silver"]}),
        step("transform", "aggregate_daily", "sql",
             "SELECT transaction_date, customer_id, COUNT(*) AS transaction_count, SUM(amount) AS total_amount "
             "FROM flagged GROUP BY transaction_date, customer_id",
             inputs={"flagged": "flagged_transactions"}, outputs={"data": "gold_daily_summary"}),
        delta("publish_gold", "delta/gold/daily_summary", "gold_daily_summary", "append"),
    ]


def write_steps(root: Path, steps: list[dict[str, Any]], kind: str = "json", name: str = "steps") -> Path:
    """``steps`` as a JSON list, a CSV file or a SQLite table ``steps``; with the example data; returns the file."""
    (root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    (root / "data" / "input.csv").write_text(INPUT_CSV)
    (root / "data" / "raw" / "transactions.csv").write_text(TRANSACTIONS_CSV)
    (root / "core_functions.py").write_text(CORE_FUNCTIONS)
    fields = ["layer", "name", "type", "engine", "value", "params", "inputs", "outputs", "metadata"]
    if kind == "json":
        target = root / f"{name}.json"
        target.write_text(json.dumps(steps, indent=1))
    elif kind == "csv":
        target = root / f"{name}.csv"
        write_csv(target, [{f: s.get(f, "") for f in fields} for s in steps])
    else:
        target = root / f"{name}.db"
        with sqlite3.connect(target) as conn:
            conn.execute(f"CREATE TABLE steps ({', '.join(f + ' TEXT' for f in fields)})")
            conn.executemany(f"INSERT INTO steps VALUES ({', '.join('?' * len(fields))})",
                             [[json.dumps(s[f]) if isinstance(s.get(f), dict) else s.get(f) for f in fields]
                              for s in steps])
        conn.close()
    return target


def gold_daily(root: Path) -> list[tuple[str, str, int, float]]:
    from deltalake import DeltaTable

    df = DeltaTable(str(root / "delta" / "gold" / "daily_summary")).to_pandas()
    return sorted((str(d), str(c), int(n), round(float(t), 2)) for d, c, n, t in
                  zip(df["transaction_date"], df["customer_id"], df["transaction_count"], df["total_amount"],
                      strict=True))
