"""TPC-H schema (typed columns for silver) and the gold queries Q1, Q3, Q5, Q6, Q10, shared by every
variant of the medallion benchmark so they do the same work."""

from __future__ import annotations

TABLES: dict[str, dict[str, str]] = {
    "region": {"r_regionkey": "INTEGER", "r_name": "VARCHAR", "r_comment": "VARCHAR"},
    "nation": {"n_nationkey": "INTEGER", "n_name": "VARCHAR", "n_regionkey": "INTEGER", "n_comment": "VARCHAR"},
    "supplier": {"s_suppkey": "INTEGER", "s_name": "VARCHAR", "s_address": "VARCHAR", "s_nationkey": "INTEGER",
                 "s_phone": "VARCHAR", "s_acctbal": "DOUBLE", "s_comment": "VARCHAR"},
    "customer": {"c_custkey": "INTEGER", "c_name": "VARCHAR", "c_address": "VARCHAR", "c_nationkey": "INTEGER",
                 "c_phone": "VARCHAR", "c_acctbal": "DOUBLE", "c_mktsegment": "VARCHAR", "c_comment": "VARCHAR"},
    "part": {"p_partkey": "INTEGER", "p_name": "VARCHAR", "p_mfgr": "VARCHAR", "p_brand": "VARCHAR",
             "p_type": "VARCHAR", "p_size": "INTEGER", "p_container": "VARCHAR", "p_retailprice": "DOUBLE",
             "p_comment": "VARCHAR"},
    "partsupp": {"ps_partkey": "INTEGER", "ps_suppkey": "INTEGER", "ps_availqty": "INTEGER",
                 "ps_supplycost": "DOUBLE", "ps_comment": "VARCHAR"},
    "orders": {"o_orderkey": "BIGINT", "o_custkey": "INTEGER", "o_orderstatus": "VARCHAR",
               "o_totalprice": "DOUBLE", "o_orderdate": "DATE", "o_orderpriority": "VARCHAR", "o_clerk": "VARCHAR",
               "o_shippriority": "INTEGER", "o_comment": "VARCHAR"},
    "lineitem": {"l_orderkey": "BIGINT", "l_partkey": "INTEGER", "l_suppkey": "INTEGER", "l_linenumber": "INTEGER",
                 "l_quantity": "DOUBLE", "l_extendedprice": "DOUBLE", "l_discount": "DOUBLE", "l_tax": "DOUBLE",
                 "l_returnflag": "VARCHAR", "l_linestatus": "VARCHAR", "l_shipdate": "DATE",
                 "l_commitdate": "DATE", "l_receiptdate": "DATE", "l_shipinstruct": "VARCHAR",
                 "l_shipmode": "VARCHAR", "l_comment": "VARCHAR"},
}


def silver_sql(table: str, source: str = "df") -> str:
    """Typed and cleaned: cast every column, trim strings."""
    cols = []
    for name, kind in TABLES[table].items():
        expr = f"trim({name})" if kind == "VARCHAR" else f"CAST({name} AS {kind})"
        cols.append(f"{expr} AS {name}")
    return f"SELECT {', '.join(cols)} FROM {source}"


QUERIES: dict[str, tuple[list[str], str]] = {
    "q1": (["lineitem"], """
        SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
               sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
               sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
               avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc,
               count(*) AS count_order
        FROM lineitem WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL 90 DAY
        GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus"""),
    "q3": (["customer", "orders", "lineitem"], """
        SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
        FROM customer, orders, lineitem
        WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
          AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15'
        GROUP BY l_orderkey, o_orderdate, o_shippriority ORDER BY revenue DESC, o_orderdate LIMIT 10"""),
    "q5": (["customer", "orders", "lineitem", "supplier", "nation", "region"], """
        SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
        FROM customer, orders, lineitem, supplier, nation, region
        WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey
          AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
          AND r_name = 'ASIA' AND o_orderdate >= DATE '1994-01-01' AND o_orderdate < DATE '1995-01-01'
        GROUP BY n_name ORDER BY revenue DESC"""),
    "q6": (["lineitem"], """
        SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem
        WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
          AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24"""),
    "q10": (["customer", "orders", "lineitem", "nation"], """
        SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name,
               c_address, c_phone, c_comment
        FROM customer, orders, lineitem, nation
        WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate >= DATE '1993-10-01'
          AND o_orderdate < DATE '1994-01-01' AND l_returnflag = 'R' AND c_nationkey = n_nationkey
        GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
        ORDER BY revenue DESC LIMIT 20"""),
}
