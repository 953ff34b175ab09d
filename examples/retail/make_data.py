"""Regenerate the retail example's small raw data (deterministic). Run: python examples/retail/make_data.py

orders.csv has duplicates (a later correction of the same order), nulls and malformed values/rows on
purpose, so silver's dedupe, casts, validation and quarantine have work to do.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DATA = Path(__file__).resolve().parent / "data"
CATEGORIES = ["grocery", "household", "toys", "garden", "books"]


def main() -> None:
    rng = random.Random(7)
    DATA.mkdir(exist_ok=True)
    products = [{"product_id": f"P{i:02d}", "product_name": f"Product {i}", "category": CATEGORIES[i % 5],
                 "list_price": round(rng.uniform(1, 80), 2)} for i in range(1, 21)]
    pq.write_table(pa.Table.from_pylist(products), DATA / "products.parquet")
    customers = [{"cust_id": f"C{i:03d}", "name": f"  Customer {i} ", "email": f"Customer{i}@Example.com",
                  "country": rng.choice(["NG", "GH", "KE", "ZA"])} for i in range(1, 51)]
    customers[7]["email"] = "not-an-email"
    (DATA / "customers.json").write_text(json.dumps(customers, indent=1), encoding="utf-8")
    start = datetime(2026, 1, 1, 8)
    rows = []
    for i in range(1, 1501):
        product = rng.choice(products)
        rows.append([f"O{i:05d}", f"C{rng.randint(1, 50):03d}", product["product_id"], str(rng.randint(1, 6)),
                     f"{product['list_price']:.2f}",
                     (start + timedelta(minutes=rng.randint(0, 60 * 24 * 30))).isoformat(sep=" ")])
    for row in rng.sample(rows, 40):  # corrections: same order id, later timestamp, new quantity
        fixed = list(row)
        fixed[3] = str(int(row[3]) + 1)
        fixed[5] = (datetime.fromisoformat(row[5]) + timedelta(hours=2)).isoformat(sep=" ")
        rows.append(fixed)
    for row in rng.sample(rows, 12):
        row[1] = ""  # missing customer
    for row, value in zip(rng.sample(rows, 6), ["abc", "-", "0", "two", "", "-3"], strict=True):
        row[3] = value  # malformed or impossible quantity
    rng.shuffle(rows)
    with open(DATA / "orders.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "customer_id", "product_id", "quantity", "unit_price", "order_ts"])
        writer.writerows(rows)
        handle.write("O99998,C001,P01,1\n")  # a truncated line


if __name__ == "__main__":
    main()
