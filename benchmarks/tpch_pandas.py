"""The medallion benchmark's work in plain pandas (read_csv, astype, merges and groupbys)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.tpch_queries import TABLES

_PANDAS_TYPES = {"INTEGER": "int64", "BIGINT": "int64", "DOUBLE": "float64", "VARCHAR": "string"}


def _silver(df):  # type: ignore[no-untyped-def]
    import pandas as pd

    for col in df.columns:
        if df[col].dtype == object:
            df[col] = df[col].str.strip()
    return df.assign(**{c: pd.to_datetime(df[c]) for c in df.columns if c.endswith("date")})


def run(data: Path, out: Path) -> None:
    import pandas as pd

    for layer in ("bronze", "silver", "gold"):
        (out / layer).mkdir(parents=True, exist_ok=True)
    for t in TABLES:
        pd.read_csv(data / f"{t}.csv").to_parquet(out / "bronze" / f"{t}.parquet", index=False)
    s = {}
    for t in TABLES:
        s[t] = _silver(pd.read_parquet(out / "bronze" / f"{t}.parquet"))
        s[t].to_parquet(out / "silver" / f"{t}.parquet", index=False)
    li, o, c, n, r, su = s["lineitem"], s["orders"], s["customer"], s["nation"], s["region"], s["supplier"]
    li = li.assign(disc_price=li.l_extendedprice * (1 - li.l_discount))
    q1 = li[li.l_shipdate <= pd.Timestamp("1998-09-02")].assign(charge=lambda d: d.disc_price * (1 + d.l_tax))
    q1 = q1.groupby(["l_returnflag", "l_linestatus"]).agg(
        sum_qty=("l_quantity", "sum"), sum_base_price=("l_extendedprice", "sum"), sum_disc_price=("disc_price", "sum"),
        sum_charge=("charge", "sum"), avg_qty=("l_quantity", "mean"), avg_price=("l_extendedprice", "mean"),
        avg_disc=("l_discount", "mean"), count_order=("l_quantity", "size")).reset_index()
    q1.to_parquet(out / "gold" / "q1.parquet", index=False)
    co = c[c.c_mktsegment == "BUILDING"].merge(o[o.o_orderdate < "1995-03-15"], left_on="c_custkey",
                                                right_on="o_custkey")
    q3 = co.merge(li[li.l_shipdate > "1995-03-15"], left_on="o_orderkey", right_on="l_orderkey")
    q3 = (q3.groupby(["l_orderkey", "o_orderdate", "o_shippriority"]).disc_price.sum().rename("revenue")
          .reset_index().sort_values(["revenue", "o_orderdate"], ascending=[False, True]).head(10))
    q3.to_parquet(out / "gold" / "q3.parquet", index=False)
    o94 = o[(o.o_orderdate >= "1994-01-01") & (o.o_orderdate < "1995-01-01")]
    asia = n.merge(r[r.r_name == "ASIA"], left_on="n_regionkey", right_on="r_regionkey")
    q5 = (c.merge(o94, left_on="c_custkey", right_on="o_custkey")
          .merge(li, left_on="o_orderkey", right_on="l_orderkey")
          .merge(su, left_on=["l_suppkey", "c_nationkey"], right_on=["s_suppkey", "s_nationkey"])
          .merge(asia, left_on="s_nationkey", right_on="n_nationkey"))
    q5 = q5.groupby("n_name").disc_price.sum().rename("revenue").reset_index().sort_values("revenue", ascending=False)
    q5.to_parquet(out / "gold" / "q5.parquet", index=False)
    f = li[(li.l_shipdate >= "1994-01-01") & (li.l_shipdate < "1995-01-01") & li.l_discount.between(0.05, 0.07)
           & (li.l_quantity < 24)]
    pd.DataFrame({"revenue": [(f.l_extendedprice * f.l_discount).sum()]}).to_parquet(out / "gold" / "q6.parquet")
    o93 = o[(o.o_orderdate >= "1993-10-01") & (o.o_orderdate < "1994-01-01")]
    q10 = (c.merge(o93, left_on="c_custkey", right_on="o_custkey")
           .merge(li[li.l_returnflag == "R"], left_on="o_orderkey", right_on="l_orderkey")
           .merge(n, left_on="c_nationkey", right_on="n_nationkey"))
    keys = ["c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment"]
    q10 = (q10.groupby(keys).disc_price.sum().rename("revenue").reset_index()
           .sort_values("revenue", ascending=False).head(20))
    q10.to_parquet(out / "gold" / "q10.parquet", index=False)
